package supervisor.testing;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict RFC 8259 parser for the tests: exactly one value and nothing after it but white space;
 * no trailing commas, comments, single quotes, leading zeros, lone surrogates, raw control
 * characters or duplicate keys. Objects become {@link LinkedHashMap}s (in their order), arrays
 * {@link List}s, integers {@link Long}s, other numbers {@link BigDecimal}s, then strings,
 * booleans and null. Anything else is an {@link IllegalArgumentException} naming the offset.
 */
public final class StrictJson {
    private final String text;
    private int at;

    private StrictJson(String text) {
        this.text = text;
    }

    public static Object parse(String text) {
        StrictJson p = new StrictJson(text);
        p.blank();
        Object v = p.value();
        p.blank();
        if (p.at != text.length()) {
            throw p.error("text after the value");
        }
        return v;
    }

    private Object value() {
        if (at >= text.length()) {
            throw error("end of text where a value was expected");
        }
        char c = text.charAt(at);
        return switch (c) {
            case '{' -> object();
            case '[' -> array();
            case '"' -> string();
            case 't' -> word("true", Boolean.TRUE);
            case 'f' -> word("false", Boolean.FALSE);
            case 'n' -> word("null", null);
            default -> {
                if (c == '-' || c >= '0' && c <= '9') {
                    yield number();
                }
                throw error("unexpected '" + c + "'");
            }
        };
    }

    private Map<String, Object> object() {
        Map<String, Object> m = new LinkedHashMap<>();
        at++;
        blank();
        if (peek() == '}') {
            at++;
            return m;
        }
        while (true) {
            blank();
            if (peek() != '"') {
                throw error("a key must be a string");
            }
            String key = string();
            if (m.containsKey(key)) {
                throw error("duplicate key " + key);
            }
            blank();
            expect(':');
            blank();
            m.put(key, value());
            blank();
            char c = next();
            if (c == '}') {
                return m;
            }
            if (c != ',') {
                throw error("expected , or }");
            }
        }
    }

    private List<Object> array() {
        List<Object> l = new ArrayList<>();
        at++;
        blank();
        if (peek() == ']') {
            at++;
            return l;
        }
        while (true) {
            blank();
            l.add(value());
            blank();
            char c = next();
            if (c == ']') {
                return l;
            }
            if (c != ',') {
                throw error("expected , or ]");
            }
        }
    }

    private String string() {
        expect('"');
        StringBuilder b = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') {
                break;
            }
            if (c < 0x20) {
                throw error("raw control character in a string");
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> b.append(hex4());
                default -> throw error("bad escape \\" + e);
            }
        }
        String s = b.toString();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && (i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(++i)))
                    || Character.isLowSurrogate(c)) {
                throw error("lone surrogate in a string");
            }
        }
        return s;
    }

    private char hex4() {
        if (at + 4 > text.length()) {
            throw error("short \\u escape");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(at++), 16);
            if (d < 0) {
                throw error("bad \\u escape");
            }
            v = v * 16 + d;
        }
        return (char) v;
    }

    private Object number() {
        int start = at;
        if (peek() == '-') {
            at++;
        }
        if (peek() == '0') {
            at++;
        } else if (peek() >= '1' && peek() <= '9') {
            digits();
        } else {
            throw error("a number needs digits");
        }
        boolean integer = true;
        if (peek() == '.') {
            at++;
            integer = false;
            if (!(peek() >= '0' && peek() <= '9')) {
                throw error("a fraction needs digits");
            }
            digits();
        }
        if (peek() == 'e' || peek() == 'E') {
            at++;
            integer = false;
            if (peek() == '+' || peek() == '-') {
                at++;
            }
            if (!(peek() >= '0' && peek() <= '9')) {
                throw error("an exponent needs digits");
            }
            digits();
        }
        String n = text.substring(start, at);
        return integer ? (Object) Long.parseLong(n) : new BigDecimal(n);
    }

    private void digits() {
        while (peek() >= '0' && peek() <= '9') {
            at++;
        }
    }

    private Object word(String w, Object v) {
        if (!text.startsWith(w, at)) {
            throw error("expected " + w);
        }
        at += w.length();
        return v;
    }

    private void blank() {
        while (at < text.length() && " \t\n\r".indexOf(text.charAt(at)) >= 0) {
            at++;
        }
    }

    private char peek() {
        return at < text.length() ? text.charAt(at) : '\0';
    }

    private char next() {
        if (at >= text.length()) {
            throw error("unexpected end of text");
        }
        return text.charAt(at++);
    }

    private void expect(char c) {
        if (next() != c) {
            throw error("expected '" + c + "'");
        }
    }

    private IllegalArgumentException error(String why) {
        return new IllegalArgumentException("not strict JSON at offset " + at + ": " + why);
    }
}
