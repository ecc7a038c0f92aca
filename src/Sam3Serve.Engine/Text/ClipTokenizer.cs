using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;

namespace Sam3Serve.Engine.Text;

/// <summary>
/// CLIP byte-level BPE tokenizer as SAM 3's text encoder expects it: vocabulary derived from the merges
/// file, <c>[SOT] tokens [EOT]</c> in a context of 32, padded with EOT. Thread-safe; words are cached.
/// </summary>
/// <remarks>
/// Known differences from the Python reference, both outside ordinary prompts: text cleaning reproduces only part
/// of ftfy (see <see cref="ClipTextCleaner"/>), and .NET's regex classifies UTF-16 code units, so a letter or
/// digit outside the Basic Multilingual Plane (e.g. mathematical alphanumerics) is grouped with punctuation
/// instead of with its word. Emoji and other symbols split the same way in both.
/// </remarks>
internal sealed partial class ClipTokenizer
{
    /// <summary>Sequence length the text encoder takes.</summary>
    public const int ContextLength = 32;

    private const string StartToken = "<start_of_text>";
    private const string EndToken = "<end_of_text>";
    // A server sees arbitrary prompts; past this many distinct words new ones are encoded but not remembered.
    private const int MaxCachedWords = 100_000;

    private readonly Dictionary<long, int> _pairRanks;
    private readonly int[] _mergeResult;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    private ClipTokenizer(Dictionary<long, int> pairRanks, int[] mergeResult, int vocabularySize)
    {
        _pairRanks = pairRanks;
        _mergeResult = mergeResult;
        VocabularySize = vocabularySize;
        StartOfText = vocabularySize - 2;
        EndOfText = vocabularySize - 1;
    }

    /// <summary>Id of <c>&lt;start_of_text&gt;</c> (49406 for the real vocabulary).</summary>
    public int StartOfText { get; }

    /// <summary>Id of <c>&lt;end_of_text&gt;</c>, also the padding id (49407 for the real vocabulary).</summary>
    public int EndOfText { get; }

    /// <summary>Number of ids: 512 byte symbols + merges + 2 special tokens (49408 for the real vocabulary).</summary>
    public int VocabularySize { get; }

    /// <summary>
    /// Builds the tokenizer from a CLIP merges file (<c>bpe_simple_vocab_16e6.txt.gz</c>, or the same content
    /// uncompressed). A file with fewer merges than the real one uses all of them; the special tokens then take
    /// the last two ids.
    /// </summary>
    public static ClipTokenizer FromMergesFile(string gzPath)
    {
        var merges = MergesFile.Read(gzPath);

        var encoder = ClipVocabulary.BuildEncoder(merges);
        var vocabularySize = 512 + merges.Count + 2;

        // BPE runs on ids: every symbol it can hold is in the vocabulary, so a pair of strings is a pair of ids.
        // A merge naming a symbol outside the vocabulary can never apply and is skipped.
        var pairRanks = new Dictionary<long, int>(merges.Count);
        var mergeResult = new int[merges.Count];
        for (var rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            mergeResult[rank] = encoder[left + right];
            if (encoder.TryGetValue(left, out var leftId) && encoder.TryGetValue(right, out var rightId))
            {
                pairRanks[PairKey(leftId, rightId)] = rank;
            }
        }
        return new ClipTokenizer(pairRanks, mergeResult, vocabularySize);
    }

    /// <summary>
    /// Cleans and tokenizes <paramref name="text"/>: <c>[SOT] tokens [EOT]</c>, truncated to
    /// <see cref="ContextLength"/> with the last id forced to EOT, then padded with EOT.
    /// </summary>
    public TokenizedText Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new long[ContextLength];
        var mask = new long[ContextLength];
        ids[0] = StartOfText;
        var count = 1;
        var cleaned = ClipTextCleaner.Clean(text);
        foreach (var match in Pieces().EnumerateMatches(cleaned))
        {
            if (count >= ContextLength)
            {
                break;
            }
            foreach (var token in EncodePiece(cleaned.Substring(match.Index, match.Length)))
            {
                if (count >= ContextLength)
                {
                    break;
                }
                ids[count++] = token;
            }
        }
        if (count < ContextLength)
        {
            ids[count++] = EndOfText;
        }
        else
        {
            ids[ContextLength - 1] = EndOfText;
        }
        mask.AsSpan(0, count).Fill(1);
        ids.AsSpan(count).Fill(EndOfText);
        return new TokenizedText(ids, mask);
    }

    /// <summary>The BPE ids of one piece of cleaned text, without start/end markers.</summary>
    internal IReadOnlyList<int> EncodePiece(string piece)
    {
        if (piece == StartToken)
        {
            return [StartOfText];
        }
        if (piece == EndToken)
        {
            return [EndOfText];
        }
        if (_cache.TryGetValue(piece, out var cached))
        {
            return cached;
        }
        var result = Bpe(piece);
        if (_cache.Count < MaxCachedWords)
        {
            _cache.TryAdd(piece, result);
        }
        return result;
    }

    private int[] Bpe(string piece)
    {
        var bytes = Encoding.UTF8.GetBytes(piece);
        var symbols = new List<int>(bytes.Length);
        // Byte symbol ids are positions in ByteUnicodeTable.Order; the last one carries "</w>" (+256).
        foreach (var b in bytes)
        {
            symbols.Add(ByteIds[b]);
        }
        symbols[^1] += 256;

        while (symbols.Count > 1)
        {
            var bestRank = int.MaxValue;
            for (var i = 0; i + 1 < symbols.Count; i++)
            {
                if (_pairRanks.TryGetValue(PairKey(symbols[i], symbols[i + 1]), out var rank) && rank < bestRank)
                {
                    bestRank = rank;
                }
            }
            if (bestRank == int.MaxValue)
            {
                break;
            }
            var merged = _mergeResult[bestRank];
            var write = 0;
            for (var read = 0; read < symbols.Count; read++)
            {
                if (read + 1 < symbols.Count
                    && _pairRanks.TryGetValue(PairKey(symbols[read], symbols[read + 1]), out var r) && r == bestRank)
                {
                    symbols[write++] = merged;
                    read++;
                }
                else
                {
                    symbols[write++] = symbols[read];
                }
            }
            symbols.RemoveRange(write, symbols.Count - write);
        }
        return [.. symbols];
    }

    private static readonly int[] ByteIds = BuildByteIds();

    private static int[] BuildByteIds()
    {
        var ids = new int[256];
        for (var i = 0; i < 256; i++)
        {
            ids[ByteUnicodeTable.Order[i]] = i;
        }
        return ids;
    }

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    [GeneratedRegex(@"<start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Pieces();
}
