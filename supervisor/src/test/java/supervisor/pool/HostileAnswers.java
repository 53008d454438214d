package supervisor.pool;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import supervisor.worker.Cancellation;
import supervisor.worker.Task;
import supervisor.worker.protocol.Values;

/**
 * A hostile worker for {@link CodeCallsIT}: a pool started with {@code forClassPath()} whose
 * workers run this task instead of the stub's (through {@code -Dsupervisor.task.class}). It runs
 * the caller's lambda to learn which attack to make, then answers with bytes built for it, as a
 * compromised worker could: a class off the allow-list whose readObject runs code, a graph nested
 * 200 deep, an array declared 2^31-1 long, a HashSet graph that takes 2^100 steps to rebuild,
 * a million objects, bytes after the object.
 */
public final class HostileAnswers implements Task {
    /** A class off every allow-list, whose readObject would run in the caller if it were read. */
    public static final class Gadget implements Serializable {
        private static final long serialVersionUID = 1L;
        public static final AtomicBoolean RAN = new AtomicBoolean();

        private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
            in.defaultReadObject();
            RAN.set(true);
        }
    }

    @Override
    public byte[] call(byte[] input, Cancellation cancel) throws Exception {
        // The caller's lambda, () -> attack, in its short form: four strings, the kind, the count,
        // then the captured values; the attack is the one captured string.
        ByteBuffer bytes = ByteBuffer.wrap(input, 1, input.length - 1);
        for (int i = 0; i < 4; i++) {
            bytes.position(bytes.position() + 2 + bytes.getShort(bytes.position()));
        }
        bytes.get(); // the kind
        String attack = (String) Values.read(bytes, rest -> {
            throw new IOException("the test's lambdas capture one string");
        })[0];
        return switch (attack) {
            case "gadget" -> value(List.of("harmless", new Gadget()));
            case "deep" -> value(nested(200));
            case "hugeIntArray" -> patchedArray(new int[] {7}, Integer.MAX_VALUE);
            case "hugeObjectArray" -> patchedArray(new Object[] {null}, Integer.MAX_VALUE);
            case "hashSetBomb" -> value(bomb(100));
            case "shallowBomb" -> value(bomb(18)); // as deep as the default bound lets through
            case "manyObjects" -> value(many(1_200_000));
            case "trailing" -> concat(value("fine"), new byte[] {1, 2, 3});
            case "trailingObject" -> concat(value(List.of("fine")), new byte[] {1, 2, 3});
            case "hugeString" -> hugeLength('S');
            case "hugeCount" -> new byte[] {0, 0x7f, -1, -1, -1, 'N'};
            case "badTag" -> new byte[] {9, 1, 2};
            case "empty" -> new byte[0];
            case "thrownGadget" -> thrown(new IllegalStateException("wrapped", new GadgetException()));
            default -> value(attack);
        };
    }

    /** An exception off the allow-list, inside one that is on it. */
    public static final class GadgetException extends Exception {
        private static final long serialVersionUID = 1L;

        GadgetException() {
            super("from the gadget");
        }
    }

    private static byte[] value(Object o) throws IOException {
        return Values.encode(new byte[] {0}, new Object[] {o});
    }

    private static byte[] thrown(Throwable t) throws IOException {
        byte[] text = supervisor.worker.protocol.ErrorPayload.of(t, false).encode();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(1);
        out.writeBytes(ByteBuffer.allocate(4).putInt(text.length).array());
        out.writeBytes(text);
        ByteArrayOutputStream object = new ByteArrayOutputStream();
        try (ObjectOutputStream oos = new ObjectOutputStream(object)) {
            oos.writeObject(t);
        }
        out.writeBytes(ByteBuffer.allocate(4).putInt(object.size()).array());
        out.writeBytes(object.toByteArray()); // and no second form, with stand-ins
        return out.toByteArray();
    }

    /** One plain value whose length says 2^31-1 and is followed by four bytes. */
    private static byte[] hugeLength(char tag) {
        return new byte[] {0, 0, 0, 0, 1, (byte) tag, 0x7f, -1, -1, -1, 'a', 0, 'b', 0};
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = new byte[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /** The array serialized, then its 4-byte length (just before its one element) set to {@code length}. */
    private static byte[] patchedArray(Object array, int length) throws IOException {
        byte[] bytes = value(array);
        int elementBytes = array instanceof int[] ? 4 : 1; // an int, or TC_NULL
        int at = bytes.length - elementBytes - 4;
        ByteBuffer.wrap(bytes, at, 4).putInt(length);
        return bytes;
    }

    private static Object nested(int depth) {
        List<Object> root = new ArrayList<>();
        List<Object> at = root;
        for (int i = 0; i < depth; i++) {
            List<Object> next = new ArrayList<>();
            at.add(next);
            at = next;
        }
        return root;
    }

    /** Wouter Coekaerts' SerialDOS: rebuilding it hashes each level twice, 2^depth steps. */
    private static Set<Object> bomb(int depth) {
        Set<Object> root = new HashSet<>();
        Set<Object> s1 = root;
        Set<Object> s2 = new HashSet<>();
        for (int i = 0; i < depth; i++) {
            Set<Object> t1 = new HashSet<>();
            Set<Object> t2 = new HashSet<>();
            t1.add("foo"); // t1 differs from t2
            s1.add(t1);
            s1.add(t2);
            s2.add(t1);
            s2.add(t2);
            s1 = t1;
            s2 = t2;
        }
        return root;
    }

    private static Object many(int n) {
        List<Object> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(new int[0]);
        }
        return list;
    }
}
