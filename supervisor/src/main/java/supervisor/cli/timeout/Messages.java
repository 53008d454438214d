package supervisor.cli.timeout;

import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * GNU timeout's messages, byte for byte: "NAME: TEXT" on stderr, NAME being the program as it
 * was invoked (argv[0], as coreutils' {@code error()} writes it), each line in one write(2). The
 * parts of a line are ASCII text and quoted operands ({@link GnuQuote}), whose bytes are the
 * caller's own, whatever the locale.
 */
final class Messages {
    private static final FileOutputStream STDERR = new FileOutputStream(FileDescriptor.err);

    private final byte[] program;
    private final byte[] helpCommand;
    private final boolean utf8;

    /**
     * @param program the program's name as invoked ("timeout", "/usr/bin/timeout")
     * @param helpCommand what "Try '... --help'" names: the program, or "supervisor timeout"
     * @param utf8 whether the locale's character set is UTF-8 (its quotes are ‘ ’, else ' ')
     */
    Messages(byte[] program, byte[] helpCommand, boolean utf8) {
        this.program = program;
        this.helpCommand = helpCommand;
        this.utf8 = utf8;
    }

    /** Whether the locale's character set, as the C library set it up for this JVM, is UTF-8. */
    static boolean utf8Locale() {
        String encoding = System.getProperty("native.encoding", System.getProperty("sun.jnu.encoding", ""));
        return encoding.equalsIgnoreCase("UTF-8") || encoding.equalsIgnoreCase("UTF8");
    }

    /** {@code operand} in the locale's quotes, escaped as GNU's quote() does. */
    byte[] quote(byte[] operand) {
        return GnuQuote.quote(operand, utf8);
    }

    /** "NAME: " and the parts (each a String of ASCII text or a byte[]), then a newline. */
    void say(Object... parts) {
        ByteArrayOutputStream line = new ByteArrayOutputStream(64);
        line.writeBytes(program);
        line.writeBytes(new byte[] {':', ' '});
        for (Object part : parts) {
            line.writeBytes(part instanceof byte[] b ? b : String.valueOf(part).getBytes(StandardCharsets.UTF_8));
        }
        line.write('\n');
        write(line.toByteArray());
    }

    /** After a usage error: "Try 'NAME --help' for more information." (ASCII quotes in every locale). */
    void tryHelp() {
        ByteArrayOutputStream line = new ByteArrayOutputStream(64);
        line.writeBytes("Try '".getBytes(StandardCharsets.US_ASCII));
        line.writeBytes(helpCommand);
        line.writeBytes(" --help' for more information.\n".getBytes(StandardCharsets.US_ASCII));
        write(line.toByteArray());
    }

    private static void write(byte[] bytes) {
        synchronized (STDERR) {
            try {
                STDERR.write(bytes);
            } catch (IOException e) {
                // stderr is closed: GNU's error() has nowhere to write either
            }
        }
    }
}
