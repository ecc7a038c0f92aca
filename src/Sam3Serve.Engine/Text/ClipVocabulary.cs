namespace Sam3Serve.Engine.Text;

/// <summary>The CLIP vocabulary derived from merge rules, without the two special tokens.</summary>
internal static class ClipVocabulary
{
    /// <summary>
    /// Token string → id: 256 byte symbols, the same with <c>&lt;/w&gt;</c>, then each merge's concatenation.
    /// When two entries spell the same string the later id wins, as in the reference's dict(zip(vocab, ids)).
    /// </summary>
    public static Dictionary<string, int> BuildEncoder(IReadOnlyList<(string Left, string Right)> merges)
    {
        var encoder = new Dictionary<string, int>(512 + merges.Count, StringComparer.Ordinal);
        var id = 0;
        foreach (var b in ByteUnicodeTable.Order)
        {
            encoder[ByteUnicodeTable.ByteToChar[b].ToString()] = id++;
        }
        foreach (var b in ByteUnicodeTable.Order)
        {
            encoder[ByteUnicodeTable.ByteToChar[b] + "</w>"] = id++;
        }
        foreach (var (left, right) in merges)
        {
            encoder[left + right] = id++;
        }
        return encoder;
    }
}
