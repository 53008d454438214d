package supervisor.cli.report;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * Renders a report's tree of values as JSON text: maps (in their order) as objects, lists as
 * arrays, strings escaped by {@link Json#string}, {@link Long}, {@link Integer} and
 * {@link BigDecimal} as numbers, booleans, and null. One field per line, two spaces per level;
 * arrays of plain values and empty ones stay on one line.
 */
final class JsonText {
    private JsonText() {
    }

    static String render(Object value) {
        StringBuilder b = new StringBuilder(1024);
        value(b, value, 0);
        return b.append('\n').toString();
    }

    private static void value(StringBuilder b, Object v, int depth) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof String s) {
            Json.string(b, s);
        } else if (v instanceof Long || v instanceof Integer || v instanceof Boolean) {
            b.append(v);
        } else if (v instanceof BigDecimal d) {
            b.append(d.toPlainString());
        } else if (v instanceof Map<?, ?> m) {
            object(b, m, depth);
        } else if (v instanceof List<?> l) {
            array(b, l, depth);
        } else {
            throw new IllegalArgumentException("not a JSON value: " + v.getClass().getName());
        }
    }

    private static void object(StringBuilder b, Map<?, ?> m, int depth) {
        if (m.isEmpty()) {
            b.append("{}");
            return;
        }
        b.append('{');
        String sep = "\n";
        for (Map.Entry<?, ?> e : m.entrySet()) {
            b.append(sep);
            indent(b, depth + 1);
            Json.string(b, (String) e.getKey());
            b.append(": ");
            value(b, e.getValue(), depth + 1);
            sep = ",\n";
        }
        b.append('\n');
        indent(b, depth);
        b.append('}');
    }

    private static void array(StringBuilder b, List<?> l, int depth) {
        boolean flat = l.stream().noneMatch(x -> x instanceof Map || x instanceof List);
        b.append('[');
        String sep = flat ? "" : "\n";
        for (Object x : l) {
            b.append(sep);
            if (!flat) {
                indent(b, depth + 1);
            }
            value(b, x, depth + 1);
            sep = flat ? ", " : ",\n";
        }
        if (!flat && !l.isEmpty()) {
            b.append('\n');
            indent(b, depth);
        }
        b.append(']');
    }

    private static void indent(StringBuilder b, int depth) {
        b.append("  ".repeat(depth));
    }
}
