using Microsoft.Extensions.DependencyInjection;
using Sam3Serve.Jobs.Queue;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Net;
using Sam3Serve.Server.Tests.Infrastructure;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Server.Tests.Functional;

/// <summary>The image input rules and the bad-input list: every bad image gets its documented code and a JSON error.</summary>
public sealed class ImageInputTests : IAsyncLifetime
{
    private ServiceFixture _service = null!;

    public async ValueTask InitializeAsync() => _service = await ServiceFixture.StartAsync(o =>
    {
        o.MaxBodyBytes = 2 * 1024 * 1024;
        o.ImageFetchTimeout = TimeSpan.FromSeconds(1.5);
    });

    public async ValueTask DisposeAsync() => await _service.DisposeAsync();

    public static TheoryData<string, string> UndecodableImages => new()
    {
        { "empty", "" },
        { "bad base64", "this is not base64 @@@" },
        { "text file", Convert.ToBase64String("hello, I am a text file\n"u8.ToArray()) },
        { "truncated JPEG", Convert.ToBase64String(TruncatedJpeg()) },
        { "bad data URI", "data:image/png;base64,%%%" },
        { "ftp URL", "ftp://example.com/a.png" },
        { "file URL", "file:///etc/passwd" },
    };

    [Theory]
    [MemberData(nameof(UndecodableImages))]
    public async Task PostV1_BadImage_Answers400(string why, string image)
    {
        using var client = _service.Client();
        var response = await client.PostJsonAsync("/v1/sam3-image", new { image, text_prompt = "red" });
        await HttpAssert.ErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.False(string.IsNullOrEmpty(why));
    }

    [Fact]
    public async Task PostV2_UndecodableInlineImage_RefusedAtSubmit()
    {
        using var client = _service.Client();
        var response = await client.PostJsonAsync("/v2/sam3-image", new { image = Convert.ToBase64String("plain text"u8.ToArray()), text_prompt = "red" });
        await HttpAssert.ErrorAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task PostV1_PngDeclaring100000x100000_Answers413WithoutDecoding()
    {
        using var client = _service.Client();
        var bomb = Convert.ToBase64String(PngDeclaring(100_000, 100_000));
        await HttpAssert.ErrorAsync(await client.PostJsonAsync("/v1/sam3-image", new { image = bomb, text_prompt = "red" }), HttpStatusCode.RequestEntityTooLarge);
        await HttpAssert.ErrorAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = bomb, text_prompt = "red" }), HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(0, _service.Engine.Calls);
    }

    [Fact]
    public async Task PostV1_BodyOverLimit_Answers413()
    {
        using var client = _service.Client();
        // The server refuses the body by its Content-Length, before reading it, and closes the connection: a client
        // still writing 3 MB then fails with a broken pipe instead of reading the 413. Expect: 100-continue makes the
        // client wait for the server's word before sending the body, as a client of large uploads should.
        client.DefaultRequestHeaders.ExpectContinue = true;
        var huge = new string('A', 3 * 1024 * 1024);
        await HttpAssert.ErrorAsync(await client.PostJsonAsync("/v1/sam3-image", new { image = huge, text_prompt = "red" }), HttpStatusCode.RequestEntityTooLarge);
        using var form = new MultipartFormDataContent { { new ByteArrayContent(new byte[3 * 1024 * 1024]), "image", "big.png" } };
        await HttpAssert.ErrorAsync(await client.PostAsync("/v1/sam3-image", form), HttpStatusCode.RequestEntityTooLarge);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/a.png")]
    [InlineData("http://localhost/a.png")]
    [InlineData("http://10.1.2.3/a.png")]
    [InlineData("http://192.168.0.10/a.png")]
    [InlineData("http://172.16.5.5/a.png")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://[::1]/a.png")]
    [InlineData("http://0.0.0.0/a.png")]
    [InlineData("http://224.0.0.1/a.png")]
    public async Task PostV1_PrivateAddress_IsRefusedWith400(string url)
    {
        using var client = _service.Client();
        await HttpAssert.ErrorAsync(await client.PostJsonAsync("/v1/sam3-image", new { image = url, text_prompt = "red" }), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task PostV1_RedirectToPrivateAddress_IsRefused()
    {
        await using var host = await ImageHost.StartAsync(TestImages.Png());
        await using var service = await ServiceFixture.StartAsync(o => o.AllowImageHost = ["127.0.0.1"]);
        using var client = service.Client();
        // Allowed host, good image: works.
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/v1/sam3-image", new { image = host.Url("/image.png"), text_prompt = "red" })).StatusCode);
        // Allowed host redirecting to 127.0.0.2, which is not on the allow-list: refused.
        await HttpAssert.ErrorAsync(await client.PostJsonAsync("/v1/sam3-image", new { image = host.Url("/redirect-to-private"), text_prompt = "red" }), HttpStatusCode.BadRequest);
        // The image server answering 404: 502.
        await HttpAssert.ErrorAsync(await client.PostJsonAsync("/v1/sam3-image", new { image = host.Url("/missing.png"), text_prompt = "red" }), HttpStatusCode.BadGateway, "404");
    }

    [Fact]
    public async Task PostV1_UrlThatNeverAnswers_Answers504_AndV2Fails()
    {
        await using var host = await ImageHost.StartAsync(TestImages.Png());
        await using var service = await ServiceFixture.StartAsync(o =>
        {
            o.AllowImageHost = ["127.0.0.1"];
            o.ImageFetchTimeout = TimeSpan.FromSeconds(1);
        });
        using var client = service.Client();
        await HttpAssert.ErrorAsync(await client.PostJsonAsync("/v1/sam3-image", new { image = host.Url("/hang"), text_prompt = "red" }), HttpStatusCode.GatewayTimeout);

        var submit = await HttpAssert.JsonAsync(await client.PostJsonAsync("/v2/sam3-image", new { image = host.Url("/hang"), text_prompt = "red" }));
        var status = await AsyncLifecycleTests.PollUntilFinishedAsync(client, submit["request_id"]!.GetValue<string>());
        Assert.Equal("FAILED", status["status"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(status["error"]!.GetValue<string>()));
        // The failure is stored typed, beside the metrics, and the FAILED body carries no HTTP status.
        Assert.False(status["metrics"]!.AsObject().ContainsKey("error_code"));
        var stored = await service.Services.GetRequiredService<IJobStore>().GetAsync(submit["request_id"]!.GetValue<string>(), CancellationToken.None);
        Assert.Equal(new JobFailure(FailureKind.ImageTimeout, 504), stored!.Failure);
    }

    [Theory]
    [InlineData("bus.jpg", 810, 1080)]
    [InlineData("cat.png", 927, 688)]
    [InlineData("dog.jpg", 2048, 1365)]
    [InlineData("groceries.jpg", 800, 534)]
    public async Task PostV1_RealPhotos_AreDecodedAtTheirSize(string name, int width, int height)
    {
        using var client = _service.Client();
        var body = await HttpAssert.JsonAsync(await client.PostJsonAsync("/v1/sam3-image",
            new { image = Convert.ToBase64String(File.ReadAllBytes(SharedPaths.Image(name))), text_prompt = "red", return_masks = true }));
        Assert.Equal(width, body["width"]!.GetValue<int>());
        Assert.Equal(height, body["height"]!.GetValue<int>());
    }

    // Generated here rather than read from ../shared: MemberData is evaluated at discovery, where a skip is not possible.
    private static byte[] TruncatedJpeg()
    {
        var jpeg = TestImages.Jpeg(640, 480);
        return jpeg[..(jpeg.Length / 2)];
    }

    /// <summary>A valid PNG whose header declares width × height; only one tiny compressed row follows.</summary>
    private static byte[] PngDeclaring(int width, int height)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 0; // greyscale
        WriteChunk(png, "IHDR", header);
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            z.Write(new byte[1 + width]);
        }
        WriteChunk(png, "IDAT", compressed.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        stream.Write(length);
        var typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        stream.Write(typeBytes);
        stream.Write(data);
        var crc = new Crc32();
        crc.Append(typeBytes);
        crc.Append(data);
        Span<byte> crcBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crcBytes, crc.GetCurrentHashAsUInt32());
        stream.Write(crcBytes);
    }
}
