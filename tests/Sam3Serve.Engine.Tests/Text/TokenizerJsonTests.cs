using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sam3Serve.Engine.Text;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Engine.Tests.Text;

public sealed class TokenizerJsonTests
{
    [Fact]
    public void WriteMergesFile_RealClipTokenizerJson_ReproducesReferenceIds()
    {
        using var dir = new TempDir();
        var json = Path.Combine(dir.Path, "tokenizer.json");
        File.WriteAllText(json, BuildTokenizerJson(ReadRealMerges(), arrayMerges: true));
        var gz = Path.Combine(dir.Path, "bpe.txt.gz");

        var count = TokenizerJsonMerges.WriteMergesFile(json, gz);
        var tokenizer = ClipTokenizer.FromMergesFile(gz);

        Assert.Equal(48894, count);
        Assert.Equal(49408, tokenizer.VocabularySize);
        Assert.Equal(new long[] { 49406, 320, 1125, 539, 320, 2368, 49407 }, tokenizer.Encode("a photo of a cat").InputIds[..7]);
        Assert.Equal(new long[] { 49406, 2533, 530, 1746, 12473, 49407 }, tokenizer.Encode("person in blue vest").InputIds[..6]);
    }

    [Fact]
    public void WriteMergesFile_StringMerges_AreAccepted()
    {
        using var dir = new TempDir();
        var json = Path.Combine(dir.Path, "tokenizer.json");
        File.WriteAllText(json, BuildTokenizerJson(["c a", "ca t</w>"], arrayMerges: false));
        var gz = Path.Combine(dir.Path, "bpe.txt.gz");

        TokenizerJsonMerges.WriteMergesFile(json, gz);

        Assert.Equal(513, ClipTokenizer.FromMergesFile(gz).Encode("cat").InputIds[1]);
    }

    [Fact]
    public void WriteMergesFile_VocabularyDisagreesWithMerges_Throws()
    {
        using var dir = new TempDir();
        var json = Path.Combine(dir.Path, "tokenizer.json");
        var node = JsonNode.Parse(BuildTokenizerJson(["c a", "ca t</w>"], arrayMerges: true))!;
        node["model"]!["vocab"]!["cat</w>"] = 600;
        File.WriteAllText(json, node.ToJsonString());

        var error = Assert.Throws<InvalidDataException>(() => TokenizerJsonMerges.WriteMergesFile(json, Path.Combine(dir.Path, "bpe.txt.gz")));

        Assert.Contains("cat</w>", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir.Path, "bpe.txt.gz")));
    }

    [Fact]
    public void WriteMergesFile_NotBpe_Throws()
    {
        using var dir = new TempDir();
        var json = Path.Combine(dir.Path, "tokenizer.json");
        File.WriteAllText(json, """{"model": {"type": "WordPiece", "vocab": {}}}""");

        Assert.Throws<InvalidDataException>(() => TokenizerJsonMerges.WriteMergesFile(json, Path.Combine(dir.Path, "bpe.txt.gz")));
    }

    /// <summary>The first 48,894 merges of the shared CLIP vocabulary file.</summary>
    internal static List<string> ReadRealMerges()
    {
        using var gzip = new GZipStream(File.OpenRead(SharedPaths.BpeVocab), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        reader.ReadLine();
        var merges = new List<string>(48894);
        while (merges.Count < 48894 && reader.ReadLine() is { } line)
        {
            merges.Add(line);
        }
        return merges;
    }

    /// <summary>
    /// A Hugging Face style tokenizer.json for the given merges, its vocabulary built here by the CLIP rule
    /// (byte symbols in printable-first order, the same with &lt;/w&gt;, merges, then the two special tokens).
    /// </summary>
    internal static string BuildTokenizerJson(IReadOnlyList<string> merges, bool arrayMerges)
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1)
            .Concat(Enumerable.Range('¡', '¬' - '¡' + 1))
            .Concat(Enumerable.Range('®', 'ÿ' - '®' + 1))
            .ToList();
        var symbols = new List<string>();
        var extra = 0;
        var byteChar = new Dictionary<int, char>();
        foreach (var b in printable)
        {
            byteChar[b] = (char)b;
        }
        for (var b = 0; b < 256; b++)
        {
            if (!byteChar.ContainsKey(b))
            {
                byteChar[b] = (char)(256 + extra++);
            }
        }
        var order = printable.Concat(Enumerable.Range(0, 256).Where(b => !printable.Contains(b)));
        symbols.AddRange(order.Select(b => byteChar[b].ToString()));
        var words = symbols.Select(s => s + "</w>").ToList();
        var all = symbols.Concat(words).Concat(merges.Select(m => m.Replace(" ", "", StringComparison.Ordinal))).ToList();

        var vocab = new JsonObject();
        for (var id = 0; id < all.Count; id++)
        {
            vocab[all[id]] = id;
        }
        vocab["<|startoftext|>"] = all.Count;
        vocab["<|endoftext|>"] = all.Count + 1;
        var mergeArray = new JsonArray();
        foreach (var merge in merges)
        {
            var parts = merge.Split(' ');
            mergeArray.Add(arrayMerges ? new JsonArray(parts[0], parts[1]) : JsonValue.Create(merge));
        }
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocab, ["merges"] = mergeArray },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }
}
