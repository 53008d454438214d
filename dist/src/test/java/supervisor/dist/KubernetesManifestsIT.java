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
    private static final Path ARCHIVE = Path.of(System.getProperty("dist.archive",
            "target/supervisor-" + Installed.VERSION + ".tar.gz"));
    private static final Path WORKER = Path.of(System.getProperty("test.tasks.worker.jar",
            "../test-tasks/target/test-tasks-worker.jar"));
    private static final Duration LONG = Duration.ofSeconds(120);

    @Test
    void everyDocumentIsValidAgainstTheKubernetesSchema() throws Exception {
        Gson gson = new Gson();
        Map<String, String> apiVersions = Map.of("Job", "batch/v1", "Deployment", "apps/v1", "ConfigMap", "v1",
                "PersistentVolumeClaim", "v1", "Service", "v1");
        int checked = 0;
        for (Map.Entry<String, List<Map<String, Object>>> file : Manifests.documents().entrySet()) {
            for (Map<String, Object> doc : file.getValue()) {
                String kind = (String) doc.get("kind");
                String where = file.getKey() + ": " + kind + " " + Manifests.at(doc, "metadata", "name");
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
        Map<String, Object> job = Manifests.only("batch-job.yaml", "Job");
        Map<String, Object> container = Manifests.at(job, "spec", "template", "spec", "containers", 0);
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
        Map<String, Object> job = Manifests.only("batch-job.yaml", "Job");
        Map<String, Object> spec = Manifests.at(job, "spec");
        assertEquals("Indexed", spec.get("completionMode"));
        int n = (Integer) spec.get("completions");
        assertEquals(n, spec.get("parallelism"));
        Map<String, Object> pod = Manifests.at(spec, "template", "spec");
        assertEquals("Never", pod.get("restartPolicy"), "pods are retried by the Job, never restarted in place");
        assertEquals(1, ((List<?>) pod.get("containers")).size());
        Map<String, Object> container = Manifests.at(pod, "containers", 0);
        assertEquals(Manifests.IMAGE, container.get("image"), "the image mvn package -Pimage builds");
        assertNull(container.get("command"), "the image's entrypoint, the supervisor, is the command");
        List<String> args = Manifests.at(container, "args");
        assertEquals("pool", args.get(0));
        assertEquals("$(JOB_COMPLETION_INDEX)/" + n, Manifests.option(args, "--shard"), "one shard per index, N = completions");
        assertTrue(Manifests.option(args, "--output").contains("$(JOB_COMPLETION_INDEX)"), "each index writes a file of its own");
        assertTrue(Integer.parseInt(Manifests.option(args, "--retries")) > 0, "calls are retried by the pool");
        long graceSeconds = Duration.parse("PT" + Manifests.option(args, "--grace").toUpperCase()).toSeconds();
        assertTrue((Integer) pod.get("terminationGracePeriodSeconds") > graceSeconds + 1,
                "the pod's grace exceeds the pool's --grace plus its stop");

        // Retries: per index, the next pod only once the last one ended, and only for what counts.
        assertTrue((Integer) spec.get("backoffLimitPerIndex") > 0);
        assertEquals("Failed", spec.get("podReplacementPolicy"), "never two pods of one index at once");
        List<Map<String, Object>> rules = Manifests.at(spec, "podFailurePolicy", "rules");
        Map<String, List<Integer>> byAction = new HashMap<>();
        for (Map<String, Object> r : rules) {
            List<Integer> codes = Manifests.at(r, "onExitCodes", "values");
            if (codes != null) {
                assertEquals("pool", Manifests.at(r, "onExitCodes", "containerName"));
                assertEquals("In", Manifests.at(r, "onExitCodes", "operator"));
                byAction.put((String) r.get("action"), codes);
            } else {
                assertEquals("Ignore", r.get("action"));
                assertEquals("DisruptionTarget", Manifests.at(r, "onPodConditions", 0, "type"));
            }
        }
        assertEquals(List.of(2, 126, 127), byAction.get("FailJob"), "usage error, jar unusable or missing");
        assertEquals(List.of(1), byAction.get("FailIndex"), "some call not ok: the answers are complete");

        // Every relative path of the command is under a volume mounted in the working directory.
        assertEquals("/batch", container.get("workingDir"));
        Map<String, String> mounts = new LinkedHashMap<>();
        for (Map<String, Object> m : Manifests.<List<Map<String, Object>>>at(container, "volumeMounts")) {
            String path = (String) m.get("mountPath");
            assertTrue(path.startsWith("/batch/"), path);
            mounts.put(path.substring("/batch/".length()), (String) m.get("name"));
        }
        for (String file : List.of(Manifests.option(args, "--input"), Manifests.option(args, "--output"), Manifests.option(args, "--report"),
                args.get(args.size() - 1))) {
            assertTrue(mounts.containsKey(file.substring(0, file.indexOf('/'))), file + " is on a mounted volume: " + mounts);
        }
        assertEquals(Map.of("input", "input", "worker", "worker", "answers", "answers"), mounts);
        Map<String, Object> claim = Manifests.only("batch-job.yaml", "PersistentVolumeClaim");
        assertEquals(List.of("ReadWriteMany"), Manifests.at(claim, "spec", "accessModes"), "pods on several nodes write it");
    }

    @Test
    void theServiceIsReadyAndAliveThroughTheHealthFile() throws Exception {
        Map<String, Object> deployment = Manifests.only("service-deployment.yaml", "Deployment");
        Map<String, Object> pod = Manifests.at(deployment, "spec", "template", "spec");
        Map<String, Object> container = Manifests.at(pod, "containers", 0);
        assertEquals(Manifests.IMAGE, container.get("image"));
        assertNull(container.get("command"), "the supervisor is the entrypoint, PID 1");
        assertNull(pod.get("shareProcessNamespace"), "a shared PID namespace would make the pause container PID 1");
        List<String> args = Manifests.at(container, "args");
        assertEquals("run", args.get(0));
        int port = (Integer) Manifests.at(container, "ports", 0, "containerPort");
        assertEquals("tcp:" + port, Manifests.option(args, "--ready"));
        String health = Manifests.option(args, "--health-file");
        assertEquals(List.of("supervisor", "probe", "--ready", health), Manifests.at(container, "readinessProbe", "exec", "command"));
        List<String> liveness = Manifests.at(container, "livenessProbe", "exec", "command");
        assertEquals(List.of("supervisor", "probe", "--alive", health, "--max-age"), liveness.subList(0, 5));
        long maxAge = Duration.parse("PT" + liveness.get(5).toUpperCase()).toSeconds();
        assertTrue(maxAge >= 3, "several beats (one a second) fit in --max-age");
        // The health file's directory is an emptyDir of its own.
        String dir = health.substring(0, health.lastIndexOf('/'));
        String volume = null;
        for (Map<String, Object> m : Manifests.<List<Map<String, Object>>>at(container, "volumeMounts")) {
            if (dir.equals(m.get("mountPath"))) {
                volume = (String) m.get("name");
            }
        }
        assertNotNull(volume, "a volume at " + dir);
        for (Map<String, Object> v : Manifests.<List<Map<String, Object>>>at(pod, "volumes")) {
            if (volume.equals(v.get("name"))) {
                assertNotNull(v.get("emptyDir"), "the health file's directory is an emptyDir: " + v);
            }
        }
        long grace = Duration.parse("PT" + Manifests.option(args, "--grace").toUpperCase()).toSeconds();
        List<String> preStop = Manifests.at(container, "lifecycle", "preStop", "exec", "command");
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
        Map<String, Object> job = Manifests.only("batch-job.yaml", "Job");
        int n = (Integer) Manifests.at(job, "spec", "completions");
        Map<String, Object> container = Manifests.at(job, "spec", "template", "spec", "containers", 0);
        List<String> args = Manifests.at(container, "args");
        Path work = Files.createDirectories(dir.resolve("batch"));
        int lines = 20;
        Manifests.batchVolumes(work, WORKER, lines);
        Path answers = work.resolve("answers");

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
        Map<Integer, Integer> answered = Manifests.answeredLines(answers, n, lines);
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
        assertEquals(answered, Manifests.answeredLines(answers, n, lines));
    }

    /** One pod's container: the image's entrypoint with the manifest's args, $(VAR) expanded as the kubelet does. */
    private static Supervisor pod(Path home, Path work, List<String> args, int index) throws IOException {
        return Supervisor.builder(Manifests.jobArgs(args, index).toArray(String[]::new))
                .launcher(home.resolve("bin/supervisor")).directory(work)
                .environment("JOB_COMPLETION_INDEX", Integer.toString(index))
                .environment("SUPERVISOR_THREAD_DUMP", null) // the image's default, not the tests'
                .start();
    }

    private static Path unpack(Path dir) throws Exception {
        assertTrue(Files.isRegularFile(ARCHIVE), "mvn package made " + ARCHIVE);
        Installed.Result r = Installed.exec(List.of("tar", "-xzf", ARCHIVE.toAbsolutePath().toString(), "-C", dir.toString()),
                Map.of());
        assertEquals(0, r.status(), r.output());
        return dir.resolve("supervisor-" + Installed.VERSION);
    }
}
