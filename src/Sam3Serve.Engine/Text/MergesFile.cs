using System.IO.Compression;
using System.Text;

namespace Sam3Serve.Engine.Text;

/// <summary>Reads the merge rules of a CLIP BPE vocabulary file, gzip-compressed or plain text.</summary>
internal static class MergesFile
{
    /// <summary>The number of merges the real vocabulary uses: 49152 − 256 − 2.</summary>
    public const int ClipMergeCount = 49152 - 256 - 2;

    /// <summary>
    /// The merge pairs in rank order. The first line is a header when it carries <c>#version</c> (both the CLIP
    /// .gz and Hugging Face merges.txt have one); at most <see cref="ClipMergeCount"/> merges are kept.
    /// </summary>
    public static List<(string Left, string Right)> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = File.OpenRead(path);
        var isGzip = file.ReadByte() == 0x1F && file.ReadByte() == 0x8B;
        file.Position = 0;
        using Stream content = isGzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(content, Encoding.UTF8);

        var merges = new List<(string, string)>(ClipMergeCount);
        var lineNumber = 0;
        while (merges.Count < ClipMergeCount && reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (lineNumber == 1 && line.Contains("#version", StringComparison.Ordinal))
            {
                continue;
            }
            if (line.Length == 0)
            {
                continue;
            }
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: a merge line must be two symbols separated by one space");
            }
            merges.Add((line[..space], line[(space + 1)..]));
        }
        return merges;
    }
}
