package supervisor.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the escape tests need on the host, made once as root in a directory the sandbox leaves in
 * sight and every user can reach (a new directory in /var/tmp, not /tmp or /home, and not the
 * checkout, which may sit in a directory only root may enter): a file only root may read, a
 * directory anyone may write, a setuid-root copy of id, a copy of cat with cap_dac_override
 * (setcap comes from libcap2-bin, installed with apt-get when missing), and a copy of the hostile
 * task, test-tasks/src/main/sh/escape.sh.
 */
final class Escapes {
    private static final Path SOURCE = Path.of("../test-tasks/src/main/sh/escape.sh").toAbsolutePath().normalize();

    final Path dir;
    /** The hostile task, readable by the sandbox's user. */
    final Path script;
    final Path secret;
    final Path open;
    final Path setuidId;
    final Path capCat; // null: no setcap could be had (said by the test that needs it)
    final String capWhy;

    private Escapes(Path dir, Path script, Path secret, Path open, Path setuidId, Path capCat, String capWhy) {
        this.dir = dir;
        this.script = script;
        this.secret = secret;
        this.open = open;
        this.setuidId = setuidId;
        this.capCat = capCat;
        this.capWhy = capWhy;
    }

    static Escapes make() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(Path.of("/var/tmp"), "supervisor-escapes-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path script = Files.copy(SOURCE, dir.resolve("escape.sh"));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rw-r--r--"));
        Path secret = Files.writeString(dir.resolve("secret"), "only root reads this\n");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        Path open = Files.createDirectories(dir.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path id = Files.copy(Path.of("/usr/bin/id"), dir.resolve("setuid-id"), StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(id, PosixFilePermissions.fromString("rwxr-xr-x"));
        exec("chmod", "4755", id.toString());
        Path cat = Files.copy(Path.of("/bin/cat"), dir.resolve("cap-cat"), StandardCopyOption.REPLACE_EXISTING);
        String why = null;
        if (!onPath("setcap")) {
            exec("sh", "-c", "DEBIAN_FRONTEND=noninteractive apt-get install -y -q libcap2-bin >/dev/null 2>&1"
                    + " || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q libcap2-bin >/dev/null 2>&1; }");
        }
        if (!onPath("setcap")) {
            why = "setcap is not installed and apt-get could not install libcap2-bin";
            cat = null;
        } else if (exec("setcap", "cap_dac_override+ep", cat.toString()) != 0) {
            why = "setcap cap_dac_override+ep failed (a filesystem without xattrs?)";
            cat = null;
        }
        return new Escapes(dir, script, secret, open, id, cat, why);
    }

    /**
     * Removes it all: a copy of cat with cap_dac_override reads any file for anyone, and must not
     * outlive the test.
     */
    void remove() throws IOException, InterruptedException {
        exec("rm", "-rf", dir.toString());
    }

    /** The hostile task's command: sh escape.sh ESCAPE ARGS. */
    List<String> task(String... args) {
        List<String> c = new ArrayList<>(List.of("--", "sh", script.toString()));
        c.addAll(List.of(args));
        return c;
    }

    static boolean onPath(String program) {
        for (String d : List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")) {
            if (Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }

    static int exec(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + ": still running after 120 s");
        }
        return p.exitValue();
    }
}
