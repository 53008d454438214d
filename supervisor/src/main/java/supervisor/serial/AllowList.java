package supervisor.serial;

import java.io.ObjectInputFilter;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import supervisor.worker.RemoteThrowable;

/**
 * Which classes, and how much, a worker's answer may hold: the caller decodes nothing else.
 * Allowed by default: the JDK's value types (strings, boxed primitives, {@code BigInteger},
 * {@code BigDecimal}, {@code java.time}, {@code UUID}...), its common collections and maps, arrays
 * of primitives and of allowed types, every record and enum (a record is rebuilt through its
 * canonical constructor and an enum constant looked up, so neither runs a {@code readObject} of
 * its own), the JDK's exceptions, and what the caller names: classes, and packages with every
 * class in them. An answer is also refused when it nests deeper than {@code maxDepth} (a nested
 * {@code HashSet} graph costs time exponential in its depth to rebuild), holds more than
 * {@code maxReferences} objects, or declares an array longer than the bytes that remain could
 * fill.
 *
 * <p>Immutable. Jenkins' remoting (JEP-200) and Apache Tika's ForkParser are why this is an
 * allow-list and not a deny-list: see docs/security.md.
 */
public final class AllowList {
    /**
     * Deep enough for records of collections of records (a record holding a list of records
     * holding a map is 4); shallow enough that the deepest HashSet graph it lets through (18
     * levels) is rebuilt in about 0.1 s, where 22 levels take 1.6 s and 100 would take forever.
     */
    public static final int DEFAULT_MAX_DEPTH = 20;
    public static final int DEFAULT_MAX_REFERENCES = 1_000_000;

    private static final Set<String> JDK_CLASSES = Set.of(
            "java.lang.Object", "java.lang.String", "java.lang.Boolean", "java.lang.Character", "java.lang.Byte",
            "java.lang.Short", "java.lang.Integer", "java.lang.Long", "java.lang.Float", "java.lang.Double",
            "java.lang.Number", "java.lang.Enum", "java.lang.StackTraceElement",
            "java.math.BigInteger", "java.math.BigDecimal",
            "java.util.UUID", "java.util.Date", "java.util.Locale", "java.util.Currency", "java.util.BitSet",
            "java.util.ArrayList", "java.util.LinkedList", "java.util.ArrayDeque", "java.util.Vector",
            "java.util.HashMap", "java.util.LinkedHashMap", "java.util.TreeMap", "java.util.Hashtable",
            "java.util.HashSet", "java.util.LinkedHashSet", "java.util.TreeSet", "java.util.EnumMap",
            "java.util.EnumSet$SerializationProxy", "java.util.RegularEnumSet", "java.util.JumboEnumSet",
            "java.util.EnumSet", "java.util.CollSer", "java.util.Arrays$ArrayList", "java.util.Stack",
            "java.util.PriorityQueue", "java.lang.String$CaseInsensitiveComparator", "java.net.URI", "java.io.File",
            "java.util.Map$Entry", "java.util.AbstractMap$SimpleEntry", "java.util.AbstractMap$SimpleImmutableEntry",
            "java.util.concurrent.ConcurrentHashMap", "java.util.concurrent.ConcurrentHashMap$Segment",
            "java.util.concurrent.CopyOnWriteArrayList", "java.util.concurrent.CopyOnWriteArraySet",
            "java.util.concurrent.ConcurrentLinkedQueue", "java.util.concurrent.ConcurrentSkipListMap",
            "java.util.concurrent.ConcurrentSkipListSet", "java.util.concurrent.atomic.AtomicInteger",
            "java.util.concurrent.atomic.AtomicLong", "java.util.concurrent.atomic.AtomicBoolean");

    private final Set<Class<?>> classes;
    private final List<String> packages;
    private final int maxDepth;
    private final int maxReferences;

    private AllowList(Set<Class<?>> classes, List<String> packages, int maxDepth, int maxReferences) {
        this.classes = Set.copyOf(classes);
        this.packages = List.copyOf(packages);
        this.maxDepth = maxDepth;
        this.maxReferences = maxReferences;
    }

    /** The defaults, and nothing of the caller's but its records and enums. */
    public static AllowList defaults() {
        return new AllowList(Set.of(), List.of(), DEFAULT_MAX_DEPTH, DEFAULT_MAX_REFERENCES);
    }

    /** This list and {@code more} classes. */
    public AllowList withClasses(Set<Class<?>> more) {
        if (more.isEmpty()) {
            return this;
        }
        Set<Class<?>> all = new java.util.HashSet<>(classes);
        all.addAll(more);
        return new AllowList(all, packages, maxDepth, maxReferences);
    }

    /** This list and every class of the packages {@code names} and of their subpackages. */
    public AllowList withPackages(List<String> names) {
        for (String name : names) {
            if (name.isBlank() || name.startsWith(".") || name.endsWith(".") || name.endsWith("*")) {
                throw new IllegalArgumentException("not a package name: \"" + name + "\" (write com.example.pdf)");
            }
        }
        List<String> all = new java.util.ArrayList<>(packages);
        all.addAll(names);
        return new AllowList(classes, all, maxDepth, maxReferences);
    }

    /** This list with other bounds. */
    public AllowList withBounds(int maxDepth, int maxReferences) {
        if (maxDepth < 1 || maxReferences < 1) {
            throw new IllegalArgumentException("maxDepth and maxReferences must be >= 1, not " + maxDepth
                    + " and " + maxReferences);
        }
        return new AllowList(classes, packages, maxDepth, maxReferences);
    }

    public List<String> packages() {
        return packages;
    }

    public int maxDepth() {
        return maxDepth;
    }

    public int maxReferences() {
        return maxReferences;
    }

    /** Whether an object of {@code type} (not an array) may be rebuilt from a worker's answer. */
    public boolean allows(Class<?> type, Set<Class<?>> declared) {
        if (type.isPrimitive() || classes.contains(type) || declared.contains(type) || type == RemoteThrowable.class) {
            return true;
        }
        String name = type.getName();
        if (JDK_CLASSES.contains(name) || isJdk(type, name)) {
            return true;
        }
        if (type.isRecord() || Enum.class.isAssignableFrom(type)) {
            return true;
        }
        String pkg = type.getPackageName();
        for (String allowed : packages) {
            if (pkg.equals(allowed) || pkg.startsWith(allowed + ".")) {
                return true;
            }
        }
        return false;
    }

    /** The JDK's classes whose serial form is plain data: java.time, the unmodifiable collections, its exceptions. */
    private static boolean isJdk(Class<?> type, String name) {
        if (type.getClassLoader() != null) {
            return false; // not the boot loader's: not the JDK's, whatever its name
        }
        return name.startsWith("java.time.")
                || name.startsWith("java.util.Collections$")
                || name.startsWith("java.util.ImmutableCollections$")
                || (Throwable.class.isAssignableFrom(type) && name.startsWith("java."));
    }

    /** A filter for one answer of {@code length} bytes; it remembers why it refused. */
    Filter filter(int length, Set<Class<?>> declared) {
        return new Filter(this, length, Objects.requireNonNull(declared));
    }

    /** The filter of one stream: ObjectInputStream calls it for every class, array and reference. */
    static final class Filter implements ObjectInputFilter {
        private final AllowList list;
        private final long length;
        private final Set<Class<?>> declared;
        private long referenceSlots;
        private String refusal;

        private Filter(AllowList list, long length, Set<Class<?>> declared) {
            this.list = list;
            this.length = length;
            this.declared = declared;
        }

        /** Why the answer was refused, or null. */
        String refusal() {
            return refusal;
        }

        @Override
        public Status checkInput(FilterInfo info) {
            if (info.depth() > list.maxDepth) {
                return refuse("it nests deeper than " + list.maxDepth + " objects (PoolSettings.Builder.answerBounds"
                        + " sets the bound)");
            }
            if (info.references() > list.maxReferences) {
                return refuse("it holds more than " + list.maxReferences + " objects (PoolSettings.Builder.answerBounds"
                        + " sets the bound)");
            }
            Class<?> type = info.serialClass();
            if (type == null) {
                return Status.UNDECIDED;
            }
            if (type.isArray() && info.arrayLength() >= 0) {
                Status sized = checkArray(type, info.arrayLength(), info.streamBytes());
                if (sized != null) {
                    return sized;
                }
            }
            Class<?> element = type;
            while (element.isArray()) {
                element = element.getComponentType();
            }
            if (list.allows(element, declared)) {
                return Status.ALLOWED;
            }
            return refuse("class " + element.getName() + " is not on the allow-list (PoolSettings.Builder"
                    + ".allowPackages and allowClasses add to it)");
        }

        /**
         * An array may not be longer than what is left of the answer could fill: its elements are
         * in the stream after it. Without this, one length field makes the caller allocate
         * gigabytes. References may be a little longer (a HashSet's table is up to 4x its size, and
         * each element takes at least one byte), but all of them together at most 4x the answer.
         */
        private Status checkArray(Class<?> type, long n, long read) {
            long left = Math.max(0, length - read);
            Class<?> component = type.getComponentType();
            if (component.isPrimitive()) {
                long size = component == long.class || component == double.class ? 8
                        : component == int.class || component == float.class ? 4
                        : component == short.class || component == char.class ? 2 : 1;
                if (n * size > left) {
                    return refuse("it declares a " + component.getName() + " array of " + n
                            + " elements, more than the " + left + " bytes left of it");
                }
                return null;
            }
            referenceSlots += n;
            if (n > 4 * left + 64 || referenceSlots > 4 * length + 1024) {
                return refuse("it declares an array of " + n + " " + component.getName()
                        + " references, more than the " + left + " bytes left of it could fill");
            }
            return null;
        }

        /** Refuses the answer for a reason found outside the stream's own checks. */
        void refuseHere(String why) {
            refuse(why);
        }

        private Status refuse(String why) {
            if (refusal == null) {
                refusal = why;
            }
            return Status.REJECTED;
        }
    }
}
