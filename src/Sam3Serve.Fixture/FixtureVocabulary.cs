using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Sam3Serve.Engine.Text;

namespace Sam3Serve.Fixture;

/// <summary>
/// A tiny CLIP-format merges file, generated so the fixture needs no download: it holds just the merges that
/// make each keyword one token; every other word tokenizes to byte symbols. Ids follow the CLIP rule
/// (512 byte symbols, then merges, then start/end of text), so the engine's CLIP tokenizer reads it as is.
/// </summary>
public static class FixtureVocabulary
{
    /// <summary>The words that become single tokens.</summary>
    public static IReadOnlyList<string> Keywords { get; } = ["red", "green", "blue", "visual"];

    /// <summary>The merge lines (without header) for <see cref="Keywords"/>.</summary>
    public static IReadOnlyList<string> MergeLines()
    {
        var lines = new List<string>();
        foreach (var word in Keywords)
        {
            // Right to left: "e d</w>", then "r ed</w>", so each word collapses into one symbol.
            var suffix = word[^1] + "</w>";
            for (var k = word.Length - 2; k >= 0; k--)
            {
                var line = $"{word[k]} {suffix}";
                if (!lines.Contains(line))
                {
                    lines.Add(line);
                }
                suffix = word[k] + suffix;
            }
        }
        return lines;
    }

    /// <summary>Writes the gzip-compressed merges file to <paramref name="path"/>.</summary>
    public static void Write(string path)
    {
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Optimal);
        using var writer = new StreamWriter(gzip, new UTF8Encoding(false));
        writer.Write("#version: 0.2 (Sam3Serve fixture vocabulary, not the CLIP one)\n");
        foreach (var line in MergeLines())
        {
            writer.Write(line);
            writer.Write('\n');
        }
    }

    /// <summary>
    /// Writes the same vocabulary as a Hugging Face <c>tokenizer.json</c> (BPE model with vocab and merges), the form
    /// the usls release ships; deriving the merges file from it gives the fixture's keyword ids back.
    /// </summary>
    public static void WriteTokenizerJson(string path)
    {
        var merges = MergeLines().Select(l => l.Split(' ')).Select(p => (p[0], p[1])).ToList();
        var vocab = new JsonObject();
        var encoder = ClipVocabulary.BuildEncoder(merges);
        foreach (var (token, id) in encoder.OrderBy(e => e.Value))
        {
            vocab[token] = id;
        }
        vocab["<|startoftext|>"] = encoder.Count;
        vocab["<|endoftext|>"] = encoder.Count + 1;
        var json = new JsonObject
        {
            ["version"] = "1.0",
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["vocab"] = vocab,
                ["merges"] = new JsonArray([.. MergeLines().Select(l => (JsonNode)JsonValue.Create(l))]),
            },
        };
        File.WriteAllText(path, json.ToJsonString());
    }
}
