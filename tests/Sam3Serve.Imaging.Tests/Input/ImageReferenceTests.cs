using Sam3Serve.Imaging.Input;
using Xunit;

namespace Sam3Serve.Imaging.Tests.Input;

public sealed class ImageReferenceTests
{
    private static readonly byte[] Payload = [0x89, 0x50, 0x4E, 0x47, 0x00, 0xFF, 0x10, 0x20, 0x30, 0x40];

    [Fact]
    public void Parse_HttpsUrl_ReturnsUrl()
    {
        var parsed = ImageReference.Parse("  https://example.com/cat.png?x=1  ", 100);

        var url = Assert.IsType<ImageReference.Url>(parsed);
        Assert.Equal(new Uri("https://example.com/cat.png?x=1"), url.Value);
    }

    [Fact]
    public void Parse_DataUri_ReturnsDecodedBytes()
    {
        var parsed = ImageReference.Parse("data:image/png;base64," + Convert.ToBase64String(Payload), 100);

        Assert.Equal(Payload, Assert.IsType<ImageReference.Inline>(parsed).Bytes);
    }

    [Fact]
    public void Parse_RawBase64_ReturnsDecodedBytes()
    {
        var parsed = ImageReference.Parse(Convert.ToBase64String(Payload), 100);

        Assert.Equal(Payload, Assert.IsType<ImageReference.Inline>(parsed).Bytes);
    }

    [Fact]
    public void Parse_Base64WithLineBreaksAndSpaces_IgnoresWhitespace()
    {
        var text = Convert.ToBase64String(Payload);
        var spaced = string.Join("\r\n ", text.Chunk(3).Select(c => new string(c))) + "\n";

        var parsed = ImageReference.Parse(spaced, 100);

        Assert.Equal(Payload, Assert.IsType<ImageReference.Inline>(parsed).Bytes);
    }

    [Fact]
    public void Parse_Base64WithoutPadding_RestoresPadding()
    {
        var text = Convert.ToBase64String(Payload).TrimEnd('=');

        var parsed = ImageReference.Parse(text, 100);

        Assert.Equal(Payload, Assert.IsType<ImageReference.Inline>(parsed).Bytes);
    }

    [Theory]
    [InlineData("not*base64!")]
    [InlineData("QUJD$$$=")]
    [InlineData("A")]
    [InlineData("data:image/png;base64,@@@@")]
    public void Parse_BadBase64_ThrowsInvalid(string image)
    {
        var error = Assert.Throws<ImageInputException>(() => ImageReference.Parse(image, 100));

        Assert.Equal(ImageErrorKind.Invalid, error.Kind);
        Assert.Equal(400, error.StatusCode);
        Assert.Contains("base64", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n ")]
    [InlineData("data:image/png;base64,")]
    public void Parse_Empty_ThrowsInvalid(string image)
    {
        var error = Assert.Throws<ImageInputException>(() => ImageReference.Parse(image, 100));

        Assert.Equal(ImageErrorKind.Invalid, error.Kind);
        Assert.Contains("empty", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://example.com/cat.png", "ftp")]
    [InlineData("file:///etc/passwd", "file")]
    [InlineData("javascript:alert(1)", "javascript")]
    [InlineData("gopher://127.0.0.1:6379/_INFO", "gopher")]
    public void Parse_OtherScheme_ThrowsUrlRefused(string image, string scheme)
    {
        var error = Assert.Throws<ImageInputException>(() => ImageReference.Parse(image, 100));

        Assert.Equal(ImageErrorKind.UrlRefused, error.Kind);
        Assert.Equal(400, error.StatusCode);
        Assert.Contains($"'{scheme}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://")]
    [InlineData("https:// /x.png")]
    public void Parse_HttpUrlWithoutHost_ThrowsInvalid(string image)
    {
        var error = Assert.Throws<ImageInputException>(() => ImageReference.Parse(image, 100));

        Assert.Equal(ImageErrorKind.Invalid, error.Kind);
        Assert.Contains("URL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DataUriOfText_ThrowsInvalid()
    {
        var error = Assert.Throws<ImageInputException>(() => ImageReference.Parse("data:text/plain;base64,SGVsbG8=", 100));

        Assert.Equal(ImageErrorKind.Invalid, error.Kind);
        Assert.Contains("text/plain", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DataUriWithoutBase64_ThrowsInvalid()
    {
        var error = Assert.Throws<ImageInputException>(() => ImageReference.Parse("data:image/png,abc", 100));

        Assert.Equal(ImageErrorKind.Invalid, error.Kind);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Parse_DecodedSizeOverLimit_ThrowsTooLarge(bool dataUri)
    {
        var text = Convert.ToBase64String(new byte[101]);
        var image = dataUri ? "data:image/jpeg;base64," + text : text;

        var error = Assert.Throws<ImageInputException>(() => ImageReference.Parse(image, 100));

        Assert.Equal(ImageErrorKind.TooLarge, error.Kind);
        Assert.Equal(413, error.StatusCode);
        Assert.Contains("101 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DecodedSizeAtLimit_Accepts()
    {
        var parsed = ImageReference.Parse(Convert.ToBase64String(new byte[100]), 100);

        Assert.Equal(100, Assert.IsType<ImageReference.Inline>(parsed).Bytes.Length);
    }
}
