package supervisor.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package graph of supervisor's main sources, read from the sources themselves: every import
 * and every fully qualified name of a supervisor class. Two rules hold: no package imports a
 * package that imports it back, over any number of steps; and the library (every package outside
 * {@code supervisor.cli}) never depends on the command line.
 */
class PackageGraphTest {
    private static final Path SOURCES = Path.of("src/main/java");
    private static final Pattern PACKAGE = Pattern.compile("(?m)^package ([\\w.]+);");
    // A reference to a supervisor class: the package is the lower-case run before the first
    // capitalised name (supervisor.cli.run.StopLoop -> supervisor.cli.run).
    private static final Pattern REFERENCE = Pattern.compile("\\b(supervisor(?:\\.[a-z]\\w*)+)\\.[A-Z]");

    private static final Map<String, Set<String>> GRAPH = new TreeMap<>();
    private static final List<String> MISPLACED = new ArrayList<>();

    @BeforeAll
    static void readSources() throws IOException {
        assertTrue(Files.isDirectory(SOURCES), "the test runs in the supervisor module: " + SOURCES.toAbsolutePath());
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".java"))::iterator) {
                String text = withoutComments(Files.readString(file));
                Matcher p = PACKAGE.matcher(text);
                if (!p.find()) {
                    continue;
                }
                String from = p.group(1);
                String folder = SOURCES.relativize(file.getParent()).toString().replace('/', '.');
                if (!folder.equals(from)) {
                    MISPLACED.add(SOURCES.relativize(file) + " declares " + from);
                }
                Set<String> to = GRAPH.computeIfAbsent(from, k -> new TreeSet<>());
                Matcher r = REFERENCE.matcher(text.substring(p.end()));
                while (r.find()) {
                    String target = r.group(1);
                    if (!target.equals(from) && !target.startsWith("supervisor.worker")) {
                        to.add(target);
                    }
                }
            }
        }
        assertFalse(GRAPH.isEmpty(), "no sources read under " + SOURCES.toAbsolutePath());
    }

    @Test
    void everySourceSitsInTheFolderOfItsPackage() {
        assertEquals(List.of(), MISPLACED, "a reader finds a class by its package");
    }

    @Test
    void noPackageDependsOnItselfThroughAnother() {
        List<List<String>> cycles = stronglyConnected().stream().filter(c -> c.size() > 1).toList();
        assertEquals(List.of(), cycles, "packages that import each other, directly or through others");
    }

    @Test
    void theLibraryNeverImportsTheCommandLine() {
        Map<String, Set<String>> wrong = new TreeMap<>();
        GRAPH.forEach((from, to) -> {
            if (!isCommandLine(from)) {
                to.stream().filter(PackageGraphTest::isCommandLine)
                        .forEach(t -> wrong.computeIfAbsent(from, k -> new TreeSet<>()).add(t));
            }
        });
        assertEquals(Map.of(), wrong, "library packages that depend on the command line");
    }

    @Test
    void unitsOfMeasureImportNoOtherPackageOfSupervisorButLog() {
        Set<String> to = new TreeSet<>(GRAPH.getOrDefault("supervisor.units", Set.of()));
        to.remove("supervisor.log");
        assertEquals(Set.of(), to, "supervisor.units sits below config and limits");
    }

    private static boolean isCommandLine(String pkg) {
        return pkg.equals("supervisor.cli") || pkg.startsWith("supervisor.cli.");
    }

    // Block and line comments go first: a {@link} in a comment is not a dependency.
    private static String withoutComments(String text) {
        return text.replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\n]*", "");
    }

    // Tarjan's algorithm: each component with more than one package is a cycle.
    private static List<List<String>> stronglyConnected() {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        List<List<String>> out = new ArrayList<>();
        int[] next = {0};
        for (String v : GRAPH.keySet()) {
            if (!index.containsKey(v)) {
                connect(v, index, low, stack, onStack, out, next);
            }
        }
        return out;
    }

    private static void connect(String v, Map<String, Integer> index, Map<String, Integer> low, Deque<String> stack,
            Set<String> onStack, List<List<String>> out, int[] next) {
        index.put(v, next[0]);
        low.put(v, next[0]++);
        stack.push(v);
        onStack.add(v);
        for (String w : GRAPH.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                connect(w, index, low, stack, onStack, out, next);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            List<String> component = new ArrayList<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            out.add(component);
        }
    }
}
