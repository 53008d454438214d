import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;

/** The baseline's child JVM: length-prefixed messages from stdin, echoed to stdout. */
public final class RawEcho {
    public static void main(String[] args) throws Exception {
        DataInputStream in = new DataInputStream(new BufferedInputStream(System.in, 65536));
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(System.out, 65536));
        byte[] buf = new byte[1 << 20];
        while (true) {
            int n;
            try {
                n = in.readInt();
            } catch (EOFException e) {
                return;
            }
            in.readFully(buf, 0, n);
            out.writeInt(n);
            out.write(buf, 0, n);
            out.flush();
        }
    }
}
