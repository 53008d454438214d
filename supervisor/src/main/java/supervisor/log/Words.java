package supervisor.log;

/** Counted words for messages: "1 process", "2 processes". */
public final class Words {
    private Words() {
    }

    /** {@code n} and the word that goes with it: {@code count(2, "process", "processes")} is "2 processes". */
    public static String count(long n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }
}
