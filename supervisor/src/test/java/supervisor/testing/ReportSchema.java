package supervisor.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The report schema as {@code docs/report.md} documents it, read from its tables: the fields of
 * every report, of a run's and of a pool's (nested ones as {@code signals_sent[].signal} or
 * {@code calls.ok}), each with its type, and the outcomes of each command. A report passes when it
 * is strict JSON with exactly the documented fields, each of its documented type, and a documented
 * outcome: the document is the schema, and a field added to one but not the other fails.
 */
public final class ReportSchema {
    public static final Path DOC = Path.of("../docs/report.md");

    private final Map<String, String> common;
    private final Map<String, String> run;
    private final Map<String, String> pool;
    private final Set<String> runOutcomes;
    private final Set<String> poolOutcomes;

    private ReportSchema(List<String> lines) {
        common = table(lines, "## Fields of every report");
        run = table(lines, "### Fields of a run report");
        pool = table(lines, "### Fields of a pool report");
        runOutcomes = table(lines, "### Outcomes of a run").keySet();
        poolOutcomes = table(lines, "### Outcomes of a pool run").keySet();
    }

    public static ReportSchema load() {
        try {
            return new ReportSchema(Files.readAllLines(DOC));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The rows of the table after {@code heading}: first column (in backquotes) to second. */
    private static Map<String, String> table(List<String> lines, String heading) {
        int i = lines.indexOf(heading);
        if (i < 0) {
            throw new AssertionError(DOC + " has no heading '" + heading + "'");
        }
        Map<String, String> rows = new LinkedHashMap<>();
        for (i++; i < lines.size() && !lines.get(i).startsWith("#"); i++) {
            String line = lines.get(i);
            if (line.startsWith("| `")) {
                String[] cells = line.split("\\|");
                String name = cells[1].trim();
                rows.put(name.substring(1, name.length() - 1), cells[2].trim());
            } else if (!rows.isEmpty() && !line.startsWith("|")) {
                break;
            }
        }
        if (rows.isEmpty()) {
            throw new AssertionError(DOC + ": no table rows after '" + heading + "'");
        }
        return rows;
    }

    public Set<String> outcomes(String mode) {
        return mode.equals("run") ? runOutcomes : poolOutcomes;
    }

    /**
     * Parses {@code json} strictly and checks it against the schema of its mode; returns it.
     *
     * @throws AssertionError naming every field that is missing, undocumented or of another type
     */
    public Map<String, Object> validate(String json) {
        Object parsed;
        try {
            parsed = StrictJson.parse(json);
        } catch (IllegalArgumentException e) {
            throw new AssertionError(e.getMessage() + " in:\n" + json);
        }
        if (!(parsed instanceof Map<?, ?> top)) {
            throw new AssertionError("a report is a JSON object:\n" + json);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> report = (Map<String, Object>) top;
        Map<String, String> fields = new LinkedHashMap<>(common);
        String mode = String.valueOf(report.get("mode"));
        switch (mode) {
            case "run" -> fields.putAll(run);
            case "pool" -> fields.putAll(pool);
            default -> throw new AssertionError("mode is neither run nor pool: " + mode + "\n" + json);
        }
        List<String> problems = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        walk(report, "", fields, seen, problems);
        for (String field : fields.keySet()) {
            // A nested field is required where its parent holds something (an empty array has no items).
            if (!seen.contains(field) && parentPresent(report, field)) {
                problems.add("missing field " + field);
            }
        }
        if (!outcomes(mode).contains(String.valueOf(report.get("outcome")))) {
            problems.add("outcome " + report.get("outcome") + " is not one of " + outcomes(mode));
        }
        if (!problems.isEmpty()) {
            throw new AssertionError(String.join("; ", problems) + " in:\n" + json);
        }
        return report;
    }

    private static void walk(Map<?, ?> object, String prefix, Map<String, String> fields, Set<String> seen,
                             List<String> problems) {
        for (Map.Entry<?, ?> e : object.entrySet()) {
            String path = prefix + e.getKey();
            String type = fields.get(path);
            if (type == null) {
                problems.add("undocumented field " + path);
                continue;
            }
            seen.add(path);
            Object v = e.getValue();
            if (!matches(type, v)) {
                problems.add(path + " is not " + type + ": " + v);
                continue;
            }
            if (v instanceof Map<?, ?> m && !type.startsWith("object of ")) {
                walk(m, path + ".", fields, seen, problems);
            } else if (v instanceof List<?> l && type.startsWith("array of objects")) {
                for (Object item : l) {
                    walk((Map<?, ?>) item, path + "[].", fields, seen, problems);
                }
            }
        }
    }

    private static boolean parentPresent(Map<String, Object> report, String field) {
        int dot = Math.max(field.lastIndexOf('.'), -1);
        if (dot < 0) {
            return true;
        }
        String parent = field.substring(0, dot);
        if (parent.endsWith("[]")) {
            Object list = report.get(parent.substring(0, parent.length() - 2));
            return list instanceof List<?> l && !l.isEmpty();
        }
        return report.get(parent) instanceof Map;
    }

    static boolean matches(String type, Object v) {
        if (type.endsWith(" or null")) {
            return v == null || matches(type.substring(0, type.length() - " or null".length()), v);
        }
        return switch (type) {
            case "integer" -> v instanceof Long;
            case "number" -> v instanceof Long || v instanceof BigDecimal;
            case "string" -> v instanceof String;
            case "boolean" -> v instanceof Boolean;
            case "object" -> v instanceof Map;
            case "object of integers" -> v instanceof Map<?, ?> m && m.values().stream().allMatch(x -> x instanceof Long);
            case "array of strings" -> v instanceof List<?> l && l.stream().allMatch(x -> x instanceof String);
            case "array of objects" -> v instanceof List<?> l && l.stream().allMatch(x -> x instanceof Map);
            default -> throw new AssertionError(DOC + " names a type the schema does not know: " + type);
        };
    }
}
