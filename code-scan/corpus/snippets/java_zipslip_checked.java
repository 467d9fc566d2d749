import java.io.*;
import java.nio.file.*;
import java.util.zip.*;

public class SafeUnpacker {
    public void unpack(InputStream archive, Path target) throws IOException {
        Path root = target.toAbsolutePath().normalize();
        try (ZipInputStream zis = new ZipInputStream(archive)) {
            ZipEntry entry;
            while ((entry = zis.getNextEntry()) != null) {
                Path out = root.resolve(entry.getName()).normalize();
                if (!out.startsWith(root)) {
                    throw new IOException("entry outside target: " + entry.getName());
                }
                Files.createDirectories(out.getParent());
                Files.copy(zis, out, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
