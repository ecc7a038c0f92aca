using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Output;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Imaging.Input;
using Sam3Serve.Imaging.Rendering;
using Sam3Serve.Jobs.Sqlite;
using Sam3Serve.Server.Requests;
using SkiaSharp;

namespace Sam3Serve.Benchmarks.Requests;

/// <summary>
/// The server's own work for one /v1 request, stage by stage, as the load tool sends it: a 1280×720 JPEG as
/// base64 in a JSON body, the PNG preview of one object answered. Each benchmark is one stage, so the
/// request overhead of the load tool can be split into parts (issue 11): body read and JSON parse,
/// validation, base64, decode, render with PNG encode, and the account store's calls.
/// </summary>
[MemoryDiagnoser]
public class RequestStageBenchmarks
{
    private const int Width = 1280;
    private const int Height = 720;
    private byte[] _jpeg = null!;
    private byte[] _body = null!;
    private string _imageText = null!;
    private RgbImage _decoded = null!;
    private SegmentationResult _result = null!;
    private SegmentationRequest _request = null!;
    private string _dataDir = null!;
    private SqliteAccountStore _accounts = null!;
    private string _key = null!;
    private string _keyId = null!;
    private int _hold;

    /// <summary>A photo-like JPEG, its request body, its decoded pixels, one object, a SQLite account store.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _jpeg = PhotoLikeJpeg(Width, Height);
        _imageText = Convert.ToBase64String(_jpeg);
        _body = JsonSerializer.SerializeToUtf8Bytes(new { image = _imageText, text_prompt = "red" });
        _decoded = ImageDecoder.Decode(_jpeg, long.MaxValue);
        var mask = new byte[Width * Height];
        for (var y = Height / 3; y < 2 * Height / 3; y++)
        {
            mask.AsSpan((y * Width) + (Width / 3), Width / 3).Fill(1);
        }
        _result = new SegmentationResult { Objects = [new DetectedObject { Score = 0.9f, Box = [Width / 3, Height / 3, 2 * Width / 3, 2 * Height / 3], Mask = new ArrayMask(Width, Height, mask) }] };
        _request = new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["red"], Output = new OutputOptions { ReturnPreview = true } };
        _dataDir = Path.Combine(Path.GetTempPath(), "sam3serve-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dataDir);
        _accounts = new SqliteAccountStore(SqliteDatabase.Open(_dataDir));
        var (record, key) = _accounts.CreateKeyAsync("bench", 1_000_000_000m, null, CancellationToken.None).GetAwaiter().GetResult();
        (_key, _keyId) = (key, record.Id);
    }

    /// <summary>Removes the store's folder.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dataDir, recursive: true);
    }

    /// <summary>The body read from the request stream into a JSON object (RequestBodyReader).</summary>
    [Benchmark]
    public async Task<object> ReadBody()
    {
        var context = new DefaultHttpContext();
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream(_body, writable: false);
        return (await RequestBodyReader.ReadAsync(context.Request, long.MaxValue, CancellationToken.None)).Body;
    }

    /// <summary>Body read plus validation plus the image field's base64 decoded: the request as the pipeline gets it.</summary>
    [Benchmark]
    public async Task<object> ReadValidateAndBase64()
    {
        var context = new DefaultHttpContext();
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream(_body, writable: false);
        var (body, upload) = await RequestBodyReader.ReadAsync(context.Request, long.MaxValue, CancellationToken.None);
        var submitted = RequestValidator.Validate(body, upload);
        return ImageReference.Parse(submitted.ImageText!, long.MaxValue);
    }

    /// <summary>Base64 text to bytes alone.</summary>
    [Benchmark]
    public object Base64() => ImageReference.Parse(_imageText, long.MaxValue);

    /// <summary>JPEG to packed RGB (ImageDecoder).</summary>
    [Benchmark]
    public RgbImage Decode() => ImageDecoder.Decode(_jpeg, long.MaxValue);

    /// <summary>The output object and the preview PNG for one object.</summary>
    [Benchmark]
    public RenderedOutput RenderPreview() => OutputRenderer.Render(_result, _decoded, _request);

    /// <summary>The account store's calls of one charged /v1 request: find the key, hold, charge, read the balance.</summary>
    [Benchmark]
    public async Task<object?> AccountCalls()
    {
        var hold = "bench-" + Interlocked.Increment(ref _hold).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var record = await _accounts.FindByKeyAsync(_key, CancellationToken.None);
        await _accounts.TryReserveAsync(_keyId, hold, 1, CancellationToken.None);
        await _accounts.CommitAsync(_keyId, hold, CancellationToken.None);
        return (await _accounts.GetAsync(record!.Id, CancellationToken.None))?.Available;
    }

    internal static byte[] PhotoLikeJpeg(int width, int height)
    {
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var random = new Random(7);
        var pixels = bitmap.GetPixelSpan();
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = ((y * width) + x) * 4;
                var grain = random.Next(-12, 13);
                pixels[i] = (byte)Math.Clamp((255 * x / width) + grain, 0, 255);
                pixels[i + 1] = (byte)Math.Clamp((255 * y / height) + grain, 0, 255);
                pixels[i + 2] = (byte)Math.Clamp(128 + (int)(80 * Math.Sin((x + y) / 60.0)) + grain, 0, 255);
                pixels[i + 3] = 255;
            }
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    private sealed class ArrayMask(int width, int height, byte[] mask) : IObjectMask
    {
        public int Width => width;

        public int Height => height;

        public void FillRow(int y, Span<byte> row) => mask.AsSpan(y * width, width).CopyTo(row);
    }
}
