namespace Sam3Serve.Engine.Text;

/// <summary>
/// A prompt as the text encoder takes it: exactly <see cref="ClipTokenizer.ContextLength"/> ids, padded with the
/// end-of-text id, and a mask that is 1 for real tokens (start and end markers included) and 0 for padding.
/// </summary>
internal sealed record TokenizedText(long[] InputIds, long[] AttentionMask)
{
    /// <summary>How many leading positions hold real tokens.</summary>
    public int Length
    {
        get
        {
            var count = 0;
            foreach (var m in AttentionMask)
            {
                count += m != 0 ? 1 : 0;
            }
            return count;
        }
    }
}
