using Sam3Serve.Engine.Text;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Engine.Tests.Text;

public sealed class TokenizerTests
{
    private static readonly Lazy<ClipTokenizer> Real = new(() => ClipTokenizer.FromMergesFile(SharedPaths.BpeVocab));

    [Theory]
    [InlineData("a photo of a cat", new long[] { 49406, 320, 1125, 539, 320, 2368, 49407 })]
    [InlineData("Hello, world!", new long[] { 49406, 3306, 267, 1002, 256, 49407 })]
    [InlineData("visual", new long[] { 49406, 7195, 49407 })]
    [InlineData("shoe", new long[] { 49406, 7342, 49407 })]
    [InlineData("ear", new long[] { 49406, 8373, 49407 })]
    [InlineData("handle", new long[] { 49406, 7245, 49407 })]
    [InlineData("dial", new long[] { 49406, 11381, 49407 })]
    [InlineData("laptop", new long[] { 49406, 10464, 49407 })]
    [InlineData("cat", new long[] { 49406, 2368, 49407 })]
    [InlineData("person in blue vest", new long[] { 49406, 2533, 530, 1746, 12473, 49407 })]
    public void Encode_KnownPrompt_MatchesReferenceIds(string text, long[] expected)
    {
        var encoded = Real.Value.Encode(text);

        Assert.Equal(expected, encoded.InputIds[..expected.Length]);
        Assert.Equal(expected.Length, encoded.Length);
    }

    [Fact]
    public void FromMergesFile_RealVocabulary_HasClipSizes()
    {
        var tokenizer = Real.Value;

        Assert.Equal(49408, tokenizer.VocabularySize);
        Assert.Equal(49406, tokenizer.StartOfText);
        Assert.Equal(49407, tokenizer.EndOfText);
    }

    [Fact]
    public void Encode_ShortText_PadsWithEndOfTextAndMasksPadding()
    {
        var encoded = Real.Value.Encode("cat");

        Assert.Equal(ClipTokenizer.ContextLength, encoded.InputIds.Length);
        Assert.Equal(ClipTokenizer.ContextLength, encoded.AttentionMask.Length);
        Assert.Equal([1L, 1, 1], encoded.AttentionMask[..3]);
        Assert.All(encoded.AttentionMask[3..], m => Assert.Equal(0L, m));
        Assert.All(encoded.InputIds[3..], id => Assert.Equal(49407L, id));
    }

    [Fact]
    public void Encode_LongText_TruncatesTo32WithEndOfTextLast()
    {
        var text = string.Join(' ', Enumerable.Repeat("cat", 40));

        var encoded = Real.Value.Encode(text);

        Assert.Equal(49406L, encoded.InputIds[0]);
        Assert.All(encoded.InputIds[1..31], id => Assert.Equal(2368L, id));
        Assert.Equal(49407L, encoded.InputIds[31]);
        Assert.All(encoded.AttentionMask, m => Assert.Equal(1L, m));
    }

    [Fact]
    public void Encode_ExactlyThirtyTokens_KeepsAllAndEndsWithEndOfText()
    {
        var text = string.Join(' ', Enumerable.Repeat("cat", 30));

        var encoded = Real.Value.Encode(text);

        Assert.All(encoded.InputIds[1..31], id => Assert.Equal(2368L, id));
        Assert.Equal(49407L, encoded.InputIds[31]);
        Assert.Equal(32, encoded.Length);
    }

    [Fact]
    public void Encode_EmptyText_IsStartAndEndOnly()
    {
        var encoded = Real.Value.Encode("   ");

        Assert.Equal([49406L, 49407L], encoded.InputIds[..2]);
        Assert.Equal(2, encoded.Length);
    }

    [Theory]
    [InlineData("  A   Photo\tof a\nCAT ", "a photo of a cat")]
    [InlineData("a photo of a &amp;lt;cat&amp;gt;", "a photo of a <cat>")]
    [InlineData("person\u2019s bag", "person's bag")]
    [InlineData("\uFF43\uFF41\uFF54", "cat")]
    public void Encode_TextNeedingCleaning_EqualsCleanText(string raw, string clean)
    {
        Assert.Equal(Real.Value.Encode(clean).InputIds, Real.Value.Encode(raw).InputIds);
    }

    [Fact]
    public void Encode_NonAsciiText_UsesByteLevelSymbols()
    {
        var encoded = Real.Value.Encode("café 東京 🙂");

        Assert.True(encoded.Length > 4);
        Assert.All(encoded.InputIds[1..(encoded.Length - 1)], id => Assert.InRange(id, 0L, 49405L));
    }

    [Fact]
    public async Task Encode_ConcurrentCallers_GetSameIdsAsSequential()
    {
        var tokenizer = ClipTokenizer.FromMergesFile(SharedPaths.BpeVocab);
        var prompts = Enumerable.Range(0, 200).Select(i => $"photo number {i} of a red shoe and laptop {i * 7}").ToArray();
        var fresh = ClipTokenizer.FromMergesFile(SharedPaths.BpeVocab);
        var expected = prompts.Select(p => fresh.Encode(p).InputIds).ToArray();

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(
            () => prompts.Select(p => tokenizer.Encode(p).InputIds).ToArray(), TestContext.Current.CancellationToken)));

        foreach (var run in results)
        {
            for (var i = 0; i < prompts.Length; i++)
            {
                Assert.Equal(expected[i], run[i]);
            }
        }
    }

    [Fact]
    public void FromMergesFile_SmallPlainFile_UsesAllMergesAndLastTwoIdsForSpecials()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "merges.txt");
        File.WriteAllLines(path, ["#version: 0.2", "c a", "ca t</w>", "d o", "do g</w>"]);

        var tokenizer = ClipTokenizer.FromMergesFile(path);
        var encoded = tokenizer.Encode("cat dog ct");

        Assert.Equal(512 + 4 + 2, tokenizer.VocabularySize);
        Assert.Equal(516, tokenizer.StartOfText);
        Assert.Equal(517, tokenizer.EndOfText);
        // "cat" → merge 1 (id 513), "dog" → merge 3 (id 515), "ct" has no merge: byte 'c' then 't</w>'.
        var c = Array.IndexOf(ByteOrder(), (byte)'c');
        var t = Array.IndexOf(ByteOrder(), (byte)'t') + 256;
        Assert.Equal(new long[] { 516, 513, 515, c, t, 517 }, encoded.InputIds[..6]);
    }

    [Fact]
    public void FromMergesFile_MalformedLine_Throws()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "merges.txt");
        File.WriteAllLines(path, ["#version: 0.2", "c a", "nospace"]);

        Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromMergesFile(path));
    }

    // The printable-first byte order of the CLIP byte table, rebuilt here independently of the code under test.
    private static byte[] ByteOrder()
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1)
            .Concat(Enumerable.Range('¡', '¬' - '¡' + 1))
            .Concat(Enumerable.Range('®', 'ÿ' - '®' + 1))
            .ToHashSet();
        return [.. printable.Concat(Enumerable.Range(0, 256).Where(b => !printable.Contains(b))).Select(b => (byte)b)];
    }
}
