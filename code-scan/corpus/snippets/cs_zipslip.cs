using System.IO;
using System.IO.Compression;

public static class Extractor
{
    public static void Extract(string zipPath, string destination)
    {
        using var archive = ZipFile.OpenRead(zipPath);
        foreach (var entry in archive.Entries)
        {
            var target = Path.Combine(destination, entry.FullName);
            entry.ExtractToFile(target, overwrite: true);
        }
    }
}
