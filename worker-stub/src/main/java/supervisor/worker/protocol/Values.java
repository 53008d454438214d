package supervisor.worker.protocol;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.StreamCorruptedException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The values a call of the caller's code carries: a lambda's captured values on the way out, its
 * result on the way back. Strings, byte arrays, boxed primitives and null, the common case, are
 * written plainly; only other objects go through Java serialization, all of them in one object
 * stream after the plain ones. A plain value costs no object stream, no class descriptor and no
 * reflection on either side, and next to no garbage: on this project's test machine each
 * kilobyte a worker allocates per call adds about 10 us to the round trip (fresh memory is
 * costly in a VM), so both sides read from and write to one array.
 *
 * <p>Layout: a u32 count, then per value a tag byte and its data: {@code N} null; {@code S} a
 * String as a u32 number of chars and the UTF-16 chars (exact, unpaired surrogates included);
 * {@code B} a byte[] as a u32 length and the bytes; {@code I J Z D F C H Y} an int, long,
 * boolean, double, float, char, short or byte, big-endian; {@code O} an object, found at its
 * place in the {@code Object[]} that an object stream holds after the last value.
 */
public final class Values {
    /** Reads the object stream that follows the plain values: an {@code Object[]}. */
    @FunctionalInterface
    public interface ObjectReader {
        Object[] read(ByteArrayInputStream rest) throws IOException, ClassNotFoundException;
    }

    private static final Object PENDING = new Object();
    /** The largest array a JVM allocates (a few below Integer.MAX_VALUE). */
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private Values() {}

    /**
     * {@code head}, then {@code values}, in one array.
     *
     * @throws java.io.NotSerializableException naming the class of an object that is not Serializable
     */
    public static byte[] encode(byte[] head, Object[] values) throws IOException {
        long size = head.length + 4L;
        boolean objects = false;
        for (Object v : values) {
            long n = plainSize(v);
            objects |= n < 0;
            size += n < 0 ? 1 : n;
        }
        if (size > MAX_ARRAY) {
            throw new IOException("the values take " + size + " bytes, more than an array holds");
        }
        ByteBuffer out = ByteBuffer.allocate((int) size);
        out.put(head).putInt(values.length);
        List<Object> rest = objects ? new ArrayList<>() : null;
        for (Object v : values) {
            if (!putPlain(out, v)) {
                out.put((byte) 'O');
                rest.add(v);
            }
        }
        if (!objects) {
            return out.array();
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream((int) size + 256);
        all.write(out.array(), 0, (int) size);
        try (ObjectOutputStream o = new ObjectOutputStream(all)) {
            o.writeObject(rest.toArray());
        }
        return all.toByteArray();
    }

    /** The bytes {@code v} takes written plainly, its tag included; -1 for an object. */
    private static long plainSize(Object v) {
        if (v == null) {
            return 1;
        } else if (v instanceof String s) {
            return 5 + 2L * s.length();
        } else if (v instanceof byte[] b) {
            return 5L + b.length;
        } else if (v instanceof Integer || v instanceof Float) {
            return 5;
        } else if (v instanceof Long || v instanceof Double) {
            return 9;
        } else if (v instanceof Boolean || v instanceof Byte) {
            return 2;
        } else if (v instanceof Character || v instanceof Short) {
            return 3;
        }
        return -1;
    }

    private static boolean putPlain(ByteBuffer out, Object v) {
        if (v == null) {
            out.put((byte) 'N');
        } else if (v instanceof String s) {
            out.put((byte) 'S').putInt(s.length());
            for (int i = 0; i < s.length(); i++) {
                out.putChar(s.charAt(i));
            }
        } else if (v instanceof byte[] b) {
            out.put((byte) 'B').putInt(b.length).put(b);
        } else if (v instanceof Integer i) {
            out.put((byte) 'I').putInt(i);
        } else if (v instanceof Long l) {
            out.put((byte) 'J').putLong(l);
        } else if (v instanceof Boolean z) {
            out.put((byte) 'Z').put((byte) (z ? 1 : 0));
        } else if (v instanceof Double d) {
            out.put((byte) 'D').putDouble(d);
        } else if (v instanceof Float f) {
            out.put((byte) 'F').putFloat(f);
        } else if (v instanceof Character c) {
            out.put((byte) 'C').putChar(c);
        } else if (v instanceof Short h) {
            out.put((byte) 'H').putShort(h);
        } else if (v instanceof Byte y) {
            out.put((byte) 'Y').put(y);
        } else {
            return false;
        }
        return true;
    }

    /**
     * Reads values written by {@link #encode} from {@code in}'s position, which it leaves after
     * them; never allocates more than the bytes left could fill, whatever a length says.
     */
    public static Object[] read(ByteBuffer in, ObjectReader objects) throws IOException, ClassNotFoundException {
        try {
            int n = in.getInt();
            if (n < 0 || n > in.remaining()) {
                throw new StreamCorruptedException("a count of " + Integer.toUnsignedString(n) + " values in "
                        + in.remaining() + " bytes");
            }
            Object[] values = new Object[n];
            int pending = 0;
            for (int i = 0; i < n; i++) {
                int tag = in.get();
                values[i] = switch (tag) {
                    case 'N' -> null;
                    case 'S' -> {
                        char[] chars = new char[length(in, 2)];
                        in.asCharBuffer().get(chars);
                        in.position(in.position() + 2 * chars.length);
                        yield new String(chars);
                    }
                    case 'B' -> {
                        byte[] b = new byte[length(in, 1)];
                        in.get(b);
                        yield b;
                    }
                    case 'I' -> in.getInt();
                    case 'J' -> in.getLong();
                    case 'Z' -> in.get() != 0;
                    case 'D' -> in.getDouble();
                    case 'F' -> in.getFloat();
                    case 'C' -> in.getChar();
                    case 'H' -> in.getShort();
                    case 'Y' -> in.get();
                    case 'O' -> {
                        pending++;
                        yield PENDING;
                    }
                    default -> throw new StreamCorruptedException("unknown value tag " + tag);
                };
            }
            if (pending > 0) {
                ByteArrayInputStream rest = new ByteArrayInputStream(in.array(), in.arrayOffset() + in.position(),
                        in.remaining());
                Object[] read = objects.read(rest);
                in.position(in.limit() - rest.available());
                if (read == null || read.length != pending) {
                    throw new StreamCorruptedException((read == null ? "no" : read.length) + " objects where "
                            + pending + " were announced");
                }
                for (int i = 0, k = 0; i < n; i++) {
                    if (values[i] == PENDING) {
                        values[i] = read[k++];
                    }
                }
            }
            return values;
        } catch (BufferUnderflowException e) {
            throw new StreamCorruptedException("the values end early");
        }
    }

    private static int length(ByteBuffer in, int unit) throws StreamCorruptedException {
        int n = in.getInt();
        if (n < 0 || (long) n * unit > in.remaining()) {
            throw new StreamCorruptedException("a length of " + Integer.toUnsignedString(n) + " in "
                    + in.remaining() + " bytes");
        }
        return n;
    }
}
