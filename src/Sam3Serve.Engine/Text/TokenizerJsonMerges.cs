using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace Sam3Serve.Engine.Text;

/// <summary>
/// Recovers the CLIP merges file from a Hugging Face <c>tokenizer.json</c> (what the usls release ships instead of
/// <c>bpe_simple_vocab_16e6.txt.gz</c>), and proves the two describe the same tokenizer: every non-special id in
/// the JSON vocabulary must equal the id that the merges-derived construction (bytes, then bytes + "&lt;/w&gt;", then one token per merge) assigns.
/// </summary>
internal static class TokenizerJsonMerges
{
    /// <summary>
    /// Reads <paramref name="tokenizerJsonPath"/> and writes its merges as a gzip file in the CLIP format (a
    /// <c>#version</c> header line, then one "left right" pair per line) to <paramref name="mergesGzPath"/>.
    /// Returns the number of merges.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a BPE tokenizer.json, or its vocabulary disagrees with its merges.</exception>
    public static int WriteMergesFile(string tokenizerJsonPath, string mergesGzPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenizerJsonPath);
        ArgumentException.ThrowIfNullOrEmpty(mergesGzPath);
        using var document = ParseDocument(tokenizerJsonPath);
        if (!document.RootElement.TryGetProperty("model", out var model)
            || !model.TryGetProperty("merges", out var mergesElement) || mergesElement.ValueKind != JsonValueKind.Array
            || !model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{tokenizerJsonPath} has no BPE model with merges and vocab");
        }

        var merges = new List<(string, string)>(mergesElement.GetArrayLength());
        foreach (var merge in mergesElement.EnumerateArray())
        {
            merges.Add(ReadMerge(merge, tokenizerJsonPath));
        }
        CheckVocabulary(vocab, merges, tokenizerJsonPath);

        var temp = mergesGzPath + ".tmp";
        using (var file = File.Create(temp))
        using (var gzip = new GZipStream(file, CompressionLevel.Optimal))
        using (var writer = new StreamWriter(gzip, new UTF8Encoding(false)))
        {
            writer.NewLine = "\n";
            writer.WriteLine("#version: 0.2 (from tokenizer.json)");
            foreach (var (left, right) in merges)
            {
                writer.Write(left);
                writer.Write(' ');
                writer.WriteLine(right);
            }
        }
        File.Move(temp, mergesGzPath, overwrite: true);
        return merges.Count;
    }

    private static JsonDocument ParseDocument(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonDocument.Parse(stream);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path} is not valid JSON: {ex.Message}", ex);
        }
    }

    // tokenizers < 0.20 writes "left right"; newer versions write ["left", "right"].
    private static (string, string) ReadMerge(JsonElement merge, string path)
    {
        if (merge.ValueKind == JsonValueKind.String)
        {
            var text = merge.GetString()!;
            var space = text.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0 && space < text.Length - 1 && text.IndexOf(' ', space + 1) < 0)
            {
                return (text[..space], text[(space + 1)..]);
            }
        }
        else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
            && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
        {
            return (merge[0].GetString()!, merge[1].GetString()!);
        }
        throw new InvalidDataException($"{path}: a merge must be \"left right\" or [\"left\", \"right\"], got {merge.GetRawText()}");
    }

    private static void CheckVocabulary(JsonElement vocab, List<(string, string)> merges, string path)
    {
        var usable = merges.Count > MergesFile.ClipMergeCount ? merges.GetRange(0, MergesFile.ClipMergeCount) : merges;
        var derived = ClipVocabulary.BuildEncoder(usable);
        var limit = 512 + usable.Count;
        var compared = 0;
        foreach (var entry in vocab.EnumerateObject())
        {
            if (!entry.Value.TryGetInt32(out var id))
            {
                throw new InvalidDataException($"{path}: vocabulary entry \"{entry.Name}\" has no integer id");
            }
            if (derived.TryGetValue(entry.Name, out var expected))
            {
                if (expected != id)
                {
                    throw new InvalidDataException(
                        $"{path}: vocabulary entry \"{entry.Name}\" has id {id}, but the CLIP construction from its merges gives {expected}");
                }
                compared++;
            }
            else if (id < limit)
            {
                throw new InvalidDataException($"{path}: vocabulary entry \"{entry.Name}\" (id {id}) cannot be built from its merges");
            }
            // Other entries past the merges are special tokens.
        }
        if (compared < limit / 2)
        {
            throw new InvalidDataException($"{path}: only {compared} of {limit} vocabulary ids could be checked against the merges");
        }
    }
}
