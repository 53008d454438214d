package supervisor.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1Job;
import io.kubernetes.client.openapi.models.V1PersistentVolumeClaim;
import io.kubernetes.client.openapi.models.V1Service;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import supervisor.testing.Supervisor;

/**
 * The Kubernetes manifests of examples/kubernetes (docs/kubernetes.md), as far as a machine with
 * no cluster can check them: every document against the Kubernetes API's schema (the official
 * Java client's models, generated from the API's OpenAPI document, refuse a field the schema does
 * not have and a required field missing), the rules the documents promise (an Indexed Job whose
 * shards match its completions, retries by the pool, grace periods, probes through the health
 * file, the image the build makes), and the Job's own container command, run for every index
 * with the supervisor of this build's archive, as a pod of each index would run it.
 */
class KubernetesManifestsIT {
    private static final Path REPO = Path.of(System.getProperty("user.dir")).getParent();
    private static final Path MANIFESTS = REPO.resolve("examples/kubernetes");
    private static final Path ARCHIVE = Path.of(System.getProperty("dist.archive",
            "target/supervisor-" + Installed.VERSION + ".tar.gz"));
    private static final Path WORKER = Path.of(System.getProperty("test.tasks.worker.jar",
            "../test-tasks/target/test-tasks-worker.jar"));
    private static final String IMAGE = "supervisor:" + Installed.VERSION;
    private static final Duration LONG = Duration.ofSeconds(120);
    /** $(VAR) in a container's command and args; $$ is a literal $. */
    private static final Pattern REFERENCE = Pattern.compile("\\$\\$|\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

    /** Every document of every manifest, as plain maps and lists, by file. */
    private static Map<String, List<Map<String, Object>>> documents() throws IOException {
        Map<String, List<Map<String, Object>>> all = new TreeMap<>();
        try (Stream<Path> files = Files.list(MANIFESTS)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                List<Map<String, Object>> docs = new ArrayList<>();
                for (Object o : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(Files.readString(f))) {
                    assertTrue(o instanceof Map, f + ": a document that is not a mapping: " + o);
                    docs.add(cast(o));
                }
                all.put(f.getFileName().toString(), docs);
            }
        }
        assertEquals(List.of("batch-job.yaml", "service-deployment.yaml"), List.copyOf(all.keySet()));
        return all;
    }

    /** The one document of this kind in the file. */
    private static Map<String, Object> only(String file, String kind) throws IOException {
        List<Map<String, Object>> found = documents().get(file).stream().filter(d -> kind.equals(d.get("kind"))).toList();
        assertEquals(1, found.size(), file + ": one " + kind);
        return found.get(0);
    }

    @SuppressWarnings("unchecked")
    private static <T> T cast(Object o) {
        return (T) o;
    }

    /** The value at a path of keys and list indexes: at(job, "spec", "template", "spec", "containers", 0). */
    private static <T> T at(Object node, Object... path) {
        Object n = node;
        for (Object key : path) {
            if (n == null) {
                return null;
            }
            n = key instanceof Integer i ? ((List<?>) n).get(i) : ((Map<?, ?>) n).get(key);
        }
        return cast(n);
    }

    @Test
    void everyDocumentIsValidAgainstTheKubernetesSchema() throws Exception {
        Gson gson = new Gson();
        Map<String, String> apiVersions = Map.of("Job", "batch/v1", "Deployment", "apps/v1", "ConfigMap", "v1",
                "PersistentVolumeClaim", "v1", "Service", "v1");
        int checked = 0;
        for (Map.Entry<String, List<Map<String, Object>>> file : documents().entrySet()) {
            for (Map<String, Object> doc : file.getValue()) {
                String kind = (String) doc.get("kind");
                String where = file.getKey() + ": " + kind + " " + at(doc, "metadata", "name");
                assertEquals(apiVersions.get(kind), doc.get("apiVersion"), where);
                JsonElement json = gson.toJsonTree(doc);
                try {
                    switch (kind) {
                        case "Job" -> V1Job.validateJsonElement(json);
                        case "Deployment" -> V1Deployment.validateJsonElement(json);
                        case "ConfigMap" -> V1ConfigMap.validateJsonElement(json);
                        case "PersistentVolumeClaim" -> V1PersistentVolumeClaim.validateJsonElement(json);
                        case "Service" -> V1Service.validateJsonElement(json);
                        default -> fail(where + ": a kind this test does not check");
                    }
                } catch (IllegalArgumentException | IOException e) {
                    fail(where + " is not valid against the Kubernetes schema: " + e.getMessage());
                }
                checked++;
            }
        }
        assertEquals(5, checked);
        // The check itself: a misspelt field deep in a pod template is refused.
        Map<String, Object> job = only("batch-job.yaml", "Job");
        Map<String, Object> container = at(job, "spec", "template", "spec", "containers", 0);
        container.put("workingDirectory", "/batch");
        try {
            V1Job.validateJsonElement(gson.toJsonTree(job));
            fail("a field the schema does not have was accepted");
        } catch (IllegalArgumentException | IOException e) {
            assertTrue(e.getMessage().contains("workingDirectory"), e.getMessage());
        }
    }

    @Test
    void theJobIsIndexedAndItsRetriesAreThePools() throws Exception {
        Map<String, Object> job = only("batch-job.yaml", "Job");
        Map<String, Object> spec = at(job, "spec");
        assertEquals("Indexed", spec.get("completionMode"));
        int n = (Integer) spec.get("completions");
        assertEquals(n, spec.get("parallelism"));
        Map<String, Object> pod = at(spec, "template", "spec");
        assertEquals("Never", pod.get("restartPolicy"), "pods are retried by the Job, never restarted in place");
        assertEquals(1, ((List<?>) pod.get("containers")).size());
        Map<String, Object> container = at(pod, "containers", 0);
        assertEquals(IMAGE, container.get("image"), "the image mvn package -Pimage builds");
        assertNull(container.get("command"), "the image's entrypoint, the supervisor, is the command");
        List<String> args = at(container, "args");
        assertEquals("pool", args.get(0));
        assertEquals("$(JOB_COMPLETION_INDEX)/" + n, option(args, "--shard"), "one shard per index, N = completions");
        assertTrue(option(args, "--output").contains("$(JOB_COMPLETION_INDEX)"), "each index writes a file of its own");
        assertTrue(Integer.parseInt(option(args, "--retries")) > 0, "calls are retried by the pool");
        long graceSeconds = Duration.parse("PT" + option(args, "--grace").toUpperCase()).toSeconds();
        assertTrue((Integer) pod.get("terminationGracePeriodSeconds") > graceSeconds + 1,
                "the pod's grace exceeds the pool's --grace plus its stop");

        // Retries: per index, the next pod only once the last one ended, and only for what counts.
        assertTrue((Integer) spec.get("backoffLimitPerIndex") > 0);
        assertEquals("Failed", spec.get("podReplacementPolicy"), "never two pods of one index at once");
        List<Map<String, Object>> rules = at(spec, "podFailurePolicy", "rules");
        Map<String, List<Integer>> byAction = new HashMap<>();
        for (Map<String, Object> r : rules) {
            List<Integer> codes = at(r, "onExitCodes", "values");
            if (codes != null) {
                assertEquals("pool", at(r, "onExitCodes", "containerName"));
                assertEquals("In", at(r, "onExitCodes", "operator"));
                byAction.put((String) r.get("action"), codes);
            } else {
                assertEquals("Ignore", r.get("action"));
                assertEquals("DisruptionTarget", at(r, "onPodConditions", 0, "type"));
            }
        }
        assertEquals(List.of(2, 126, 127), byAction.get("FailJob"), "usage error, jar unusable or missing");
        assertEquals(List.of(1), byAction.get("FailIndex"), "some call not ok: the answers are complete");

        // Every relative path of the command is under a volume mounted in the working directory.
        assertEquals("/batch", container.get("workingDir"));
        Map<String, String> mounts = new LinkedHashMap<>();
        for (Map<String, Object> m : KubernetesManifestsIT.<List<Map<String, Object>>>at(container, "volumeMounts")) {
            String path = (String) m.get("mountPath");
            assertTrue(path.startsWith("/batch/"), path);
            mounts.put(path.substring("/batch/".length()), (String) m.get("name"));
        }
        for (String file : List.of(option(args, "--input"), option(args, "--output"), option(args, "--report"),
                args.get(args.size() - 1))) {
            assertTrue(mounts.containsKey(file.substring(0, file.indexOf('/'))), file + " is on a mounted volume: " + mounts);
        }
        assertEquals(Map.of("input", "input", "worker", "worker", "answers", "answers"), mounts);
        Map<String, Object> claim = only("batch-job.yaml", "PersistentVolumeClaim");
        assertEquals(List.of("ReadWriteMany"), at(claim, "spec", "accessModes"), "pods on several nodes write it");
    }

    @Test
    void theServiceIsReadyAndAliveThroughTheHealthFile() throws Exception {
        Map<String, Object> deployment = only("service-deployment.yaml", "Deployment");
        Map<String, Object> pod = at(deployment, "spec", "template", "spec");
        Map<String, Object> container = at(pod, "containers", 0);
        assertEquals(IMAGE, container.get("image"));
        assertNull(container.get("command"), "the supervisor is the entrypoint, PID 1");
        assertNull(pod.get("shareProcessNamespace"), "a shared PID namespace would make the pause container PID 1");
        List<String> args = at(container, "args");
        assertEquals("run", args.get(0));
        int port = (Integer) at(container, "ports", 0, "containerPort");
        assertEquals("tcp:" + port, option(args, "--ready"));
        String health = option(args, "--health-file");
        assertEquals(List.of("supervisor", "probe", "--ready", health), at(container, "readinessProbe", "exec", "command"));
        List<String> liveness = at(container, "livenessProbe", "exec", "command");
        assertEquals(List.of("supervisor", "probe", "--alive", health, "--max-age"), liveness.subList(0, 5));
        long maxAge = Duration.parse("PT" + liveness.get(5).toUpperCase()).toSeconds();
        assertTrue(maxAge >= 3, "several beats (one a second) fit in --max-age");
        // The health file's directory is an emptyDir of its own.
        String dir = health.substring(0, health.lastIndexOf('/'));
        String volume = null;
        for (Map<String, Object> m : KubernetesManifestsIT.<List<Map<String, Object>>>at(container, "volumeMounts")) {
            if (dir.equals(m.get("mountPath"))) {
                volume = (String) m.get("name");
            }
        }
        assertNotNull(volume, "a volume at " + dir);
        for (Map<String, Object> v : KubernetesManifestsIT.<List<Map<String, Object>>>at(pod, "volumes")) {
            if (volume.equals(v.get("name"))) {
                assertNotNull(v.get("emptyDir"), "the health file's directory is an emptyDir: " + v);
            }
        }
        long grace = Duration.parse("PT" + option(args, "--grace").toUpperCase()).toSeconds();
        List<String> preStop = at(container, "lifecycle", "preStop", "exec", "command");
        assertEquals("sleep", preStop.get(0));
        assertTrue((Integer) pod.get("terminationGracePeriodSeconds") > Integer.parseInt(preStop.get(1)) + grace + 1,
                "the pod's grace covers preStop, the supervisor's --grace and its stop");
    }

    /**
     * The Job's container command, for each index 0..N-1 at once as the pods run, with this build's
     * supervisor (the archive the image is made of) in a working directory laid out as the pod's
     * mounts are (ConfigMap files are links into a ..data directory, as the kubelet makes them):
     * every input line is answered exactly once over the answers files, each by its own index;
     * then an index run again over a half-written file of a failed pod replaces it whole.
     */
    @Test
    void theJobsCommandAnswersEveryLineOnceOverItsIndexes(@TempDir Path dir) throws Exception {
        Path home = unpack(dir);
        Map<String, Object> job = only("batch-job.yaml", "Job");
        int n = (Integer) at(job, "spec", "completions");
        Map<String, Object> container = at(job, "spec", "template", "spec", "containers", 0);
        List<String> args = at(container, "args");
        Path work = Files.createDirectories(dir.resolve("batch"));
        int lines = 20;
        StringBuilder input = new StringBuilder();
        for (int i = 1; i <= lines; i++) {
            input.append("echo line-").append(i).append('\n');
        }
        configMapVolume(work.resolve("input"), "lines.txt", input.toString().getBytes(StandardCharsets.UTF_8));
        configMapVolume(work.resolve("worker"), "worker.jar", Files.readAllBytes(WORKER));
        Path answers = Files.createDirectories(work.resolve("answers"));

        List<Supervisor> pods = new ArrayList<>();
        try {
            for (int index = 0; index < n; index++) {
                pods.add(pod(home, work, args, index));
            }
            for (int index = 0; index < n; index++) {
                Supervisor p = pods.get(index);
                assertEquals(0, p.exitCode(LONG), "index " + index + ": " + p.stderr());
            }
        } finally {
            pods.forEach(Supervisor::close);
        }
        Map<Integer, Integer> answered = answeredLines(answers, n, lines);
        assertEquals(lines, answered.size());
        for (int index = 0; index < n; index++) {
            assertTrue(Files.isRegularFile(answers.resolve("report-" + index + ".json")), "index " + index + "'s report");
        }

        // Index 1's pod failed halfway (killed, evicted): its file holds part of an answer. The retry's
        // pod, which starts only once that one has ended, writes the file anew.
        Path one = answers.resolve("answers-1.jsonl");
        String whole = Files.readString(one);
        Files.writeString(one, whole.substring(0, whole.length() / 2));
        try (Supervisor retry = pod(home, work, args, 1)) {
            assertEquals(0, retry.exitCode(LONG), retry.stderr());
        }
        assertEquals(whole.replaceAll("\"ms\":\\d+", ""), Files.readString(one).replaceAll("\"ms\":\\d+", ""));
        assertEquals(answered, answeredLines(answers, n, lines));
    }

    /** One pod's container: the image's entrypoint with the manifest's args, $(VAR) expanded as the kubelet does. */
    private static Supervisor pod(Path home, Path work, List<String> args, int index) throws IOException {
        Map<String, String> env = Map.of("JOB_COMPLETION_INDEX", Integer.toString(index));
        List<String> expanded = args.stream().map(a -> expand(a, env)).toList();
        assertFalse(String.join(" ", expanded).contains("$("), "every reference expanded: " + expanded);
        return Supervisor.builder(expanded.toArray(String[]::new))
                .launcher(home.resolve("bin/supervisor")).directory(work)
                .environment("JOB_COMPLETION_INDEX", Integer.toString(index))
                .environment("SUPERVISOR_THREAD_DUMP", null) // the image's default, not the tests'
                .start();
    }

    /** Kubernetes' expansion of $(VAR) in command and args: defined variables only; $$ is $. */
    private static String expand(String arg, Map<String, String> env) {
        Matcher m = REFERENCE.matcher(arg);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String replacement = m.group(1) == null ? "$" : env.getOrDefault(m.group(1), m.group());
            m.appendReplacement(b, Matcher.quoteReplacement(replacement));
        }
        return m.appendTail(b).toString();
    }

    /** Input line -> the index that answered it; fails unless every line is answered once, ok, by its shard. */
    private static Map<Integer, Integer> answeredLines(Path answers, int n, int lines) throws IOException {
        Pattern answer = Pattern.compile("\\{\"line\":(\\d+),\"status\":\"ok\",\"output\":\"line-(\\d+)\",.*}");
        Map<Integer, Integer> byLine = new TreeMap<>();
        for (int index = 0; index < n; index++) {
            for (String l : Files.readAllLines(answers.resolve("answers-" + index + ".jsonl"))) {
                Matcher m = answer.matcher(l);
                assertTrue(m.matches(), "index " + index + ": not an ok answer: " + l);
                int line = Integer.parseInt(m.group(1));
                assertEquals(line, Integer.parseInt(m.group(2)), "the answer of its own line");
                assertEquals(index, (line - 1) % n, "line " + line + " is index " + ((line - 1) % n) + "'s, not " + index + "'s");
                Integer before = byLine.put(line, index);
                assertNull(before, "line " + line + " answered twice");
            }
        }
        for (int line = 1; line <= lines; line++) {
            assertTrue(byLine.containsKey(line), "line " + line + " has no answer: " + byLine);
        }
        return byLine;
    }

    /** A ConfigMap volume as the kubelet lays it out: NAME -> ..data/NAME, ..data -> ..TIMESTAMP/. */
    private static void configMapVolume(Path dir, String name, byte[] content) throws IOException {
        Path version = Files.createDirectories(dir.resolve("..2026_01_01_00_00_00.000000001"));
        Files.write(version.resolve(name), content);
        Files.createSymbolicLink(dir.resolve("..data"), version.getFileName());
        Files.createSymbolicLink(dir.resolve(name), Path.of("..data", name));
    }

    /** The value after the option in the args. */
    private static String option(List<String> args, String name) {
        int i = args.indexOf(name);
        assertTrue(i >= 0 && i + 1 < args.size(), "args have " + name + ": " + args);
        return args.get(i + 1);
    }

    private static Path unpack(Path dir) throws Exception {
        assertTrue(Files.isRegularFile(ARCHIVE), "mvn package made " + ARCHIVE);
        Installed.Result r = Installed.exec(List.of("tar", "-xzf", ARCHIVE.toAbsolutePath().toString(), "-C", dir.toString()),
                Map.of());
        assertEquals(0, r.status(), r.output());
        return dir.resolve("supervisor-" + Installed.VERSION);
    }
}
