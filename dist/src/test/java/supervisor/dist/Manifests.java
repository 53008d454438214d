package supervisor.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The Kubernetes manifests of examples/kubernetes, read as plain maps and lists, and what the
 * tests that run their commands share: Kubernetes' expansion of $(VAR), a ConfigMap volume laid
 * out as the kubelet lays it out, and the check of a batch's answers files.
 */
final class Manifests {
    static final Path REPO = Path.of(System.getProperty("user.dir")).getParent();
    static final Path DIR = REPO.resolve("examples/kubernetes");
    /** The image mvn package -Pimage builds, which the manifests name. */
    static final String IMAGE = "supervisor:" + Installed.VERSION;
    /** $(VAR) in a container's command and args; $$ is a literal $. */
    private static final Pattern REFERENCE = Pattern.compile("\\$\\$|\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

    private Manifests() {
    }

    /** Every document of every manifest, as plain maps and lists, by file. */
    static Map<String, List<Map<String, Object>>> documents() throws IOException {
        Map<String, List<Map<String, Object>>> all = new TreeMap<>();
        try (Stream<Path> files = Files.list(DIR)) {
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
    static Map<String, Object> only(String file, String kind) throws IOException {
        List<Map<String, Object>> found = documents().get(file).stream().filter(d -> kind.equals(d.get("kind"))).toList();
        assertEquals(1, found.size(), file + ": one " + kind);
        return found.get(0);
    }

    @SuppressWarnings("unchecked")
    private static <T> T cast(Object o) {
        return (T) o;
    }

    /** The value at a path of keys and list indexes: at(job, "spec", "template", "spec", "containers", 0). */
    static <T> T at(Object node, Object... path) {
        Object n = node;
        for (Object key : path) {
            if (n == null) {
                return null;
            }
            n = key instanceof Integer i ? ((List<?>) n).get(i) : ((Map<?, ?>) n).get(key);
        }
        return cast(n);
    }

    /** Kubernetes' expansion of $(VAR) in command and args: defined variables only; $$ is $. */
    static String expand(String arg, Map<String, String> env) {
        Matcher m = REFERENCE.matcher(arg);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String replacement = m.group(1) == null ? "$" : env.getOrDefault(m.group(1), m.group());
            m.appendReplacement(b, Matcher.quoteReplacement(replacement));
        }
        return m.appendTail(b).toString();
    }

    /** Input line -> the index that answered it; fails unless every line is answered once, ok, by its shard. */
    static Map<Integer, Integer> answeredLines(Path answers, int n, int lines) throws IOException {
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
    static void configMapVolume(Path dir, String name, byte[] content) throws IOException {
        Path version = Files.createDirectories(dir.resolve("..2026_01_01_00_00_00.000000001"));
        Files.write(version.resolve(name), content);
        Files.createSymbolicLink(dir.resolve("..data"), version.getFileName());
        Files.createSymbolicLink(dir.resolve(name), Path.of("..data", name));
    }

    /** The value after the option in the args. */
    static String option(List<String> args, String name) {
        int i = args.indexOf(name);
        assertTrue(i >= 0 && i + 1 < args.size(), "args have " + name + ": " + args);
        return args.get(i + 1);
    }

    /** The Job's container args for one index: $(JOB_COMPLETION_INDEX) expanded as the kubelet expands it. */
    static List<String> jobArgs(List<String> args, int index) {
        Map<String, String> env = Map.of("JOB_COMPLETION_INDEX", Integer.toString(index));
        List<String> expanded = args.stream().map(a -> expand(a, env)).toList();
        assertTrue(expanded.stream().noneMatch(a -> a.contains("$(")), "every reference expanded: " + expanded);
        return expanded;
    }

    /**
     * A batch pod's working directory as its mounts make it: input/lines.txt ({@code lines} lines,
     * "echo line-K" for line K) and worker/worker.jar as ConfigMap volumes, answers/ empty.
     */
    static void batchVolumes(Path work, Path workerJar, int lines) throws IOException {
        StringBuilder input = new StringBuilder();
        for (int i = 1; i <= lines; i++) {
            input.append("echo line-").append(i).append('\n');
        }
        configMapVolume(work.resolve("input"), "lines.txt", input.toString().getBytes(StandardCharsets.UTF_8));
        configMapVolume(work.resolve("worker"), "worker.jar", Files.readAllBytes(workerJar));
        Files.createDirectories(work.resolve("answers"));
    }
}
