using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sam3Serve.Engine.Bundle;
using Sam3Serve.Engine.Bundle.Download;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Engine.Tests.Bundle;

public sealed class ModelDownloadTests : IAsyncLifetime
{
    private readonly FakeModelMirror _mirror = new();
    private readonly TempDir _dir = new("sam3serve-pull");
    private readonly ModelDownloader _downloader = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _mirror.StartAsync();

    public async ValueTask DisposeAsync()
    {
        _downloader.Dispose();
        await _mirror.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task PullAsync_AllFilesServed_InstallsFilesAndManifest()
    {
        var files = _mirror.AddDefaultSet("q8", withVocabulary: true);

        var result = await _downloader.PullAsync(Options("q8"), null, Ct);

        Assert.Equal(6, result.Files.Count);
        Assert.Empty(result.NotOnServer);
        foreach (var (name, data) in files)
        {
            Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(_dir.Path, name), Ct));
        }
        var manifest = BundleManifest.TryRead(_dir.Path);
        Assert.NotNull(manifest);
        Assert.Equal("q8", manifest.Variant);
        foreach (var (name, data) in files)
        {
            var entry = manifest.Find(name);
            Assert.NotNull(entry);
            Assert.Equal(data.Length, entry.Size);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), entry.Sha256);
        }
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, ModelDownloader.StagingFolder)));
        Assert.True(ModelVerifier.Verify(_dir.Path, Ct).IsValid);
    }

    [Fact]
    public async Task PullAsync_VocabularyNotOnServer_InstallsModelsAndExplains()
    {
        _mirror.AddDefaultSet("fp16", withVocabulary: false);

        var result = await _downloader.PullAsync(Options("fp16"), null, Ct);

        Assert.Equal(5, result.Files.Count);
        var why = Assert.Single(result.NotOnServer);
        Assert.Equal(BundleFiles.Vocabulary, why.Key);
        Assert.Contains("404", why.Value, StringComparison.Ordinal);
        Assert.Contains("tokenizer.json", why.Value, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_dir.Path, "vision-encoder-fp16.onnx")));
    }

    [Fact]
    public async Task PullAsync_OnlyTokenizerJsonOnServer_DerivesWorkingVocabulary()
    {
        _mirror.AddDefaultSet("q8", withVocabulary: false);
        _mirror.Files["tokenizer.json"] = System.Text.Encoding.UTF8.GetBytes(
            Text.TokenizerJsonTests.BuildTokenizerJson(Text.TokenizerJsonTests.ReadRealMerges(), arrayMerges: false));

        var result = await _downloader.PullAsync(Options("q8"), null, Ct);

        Assert.True(result.VocabularyFromTokenizerJson);
        Assert.Empty(result.NotOnServer);
        var vocabulary = Path.Combine(_dir.Path, BundleFiles.Vocabulary);
        var tokenizer = Sam3Serve.Engine.Text.ClipTokenizer.FromMergesFile(vocabulary);
        Assert.Equal(new long[] { 49406, 2368, 49407 }, tokenizer.Encode("cat").InputIds[..3]);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "tokenizer.json")));
        Assert.True(ModelVerifier.Verify(_dir.Path, Ct).IsValid);
    }

    [Fact]
    public async Task PullAsync_ConnectionDroppedOnce_SecondPullResumesWithRange()
    {
        var data = FakeModelMirror.RandomBytes(300_000, seed: 7);
        _mirror.Files["vision-encoder.onnx"] = data;
        _mirror.DropFirstRequestHalfway.Add("vision-encoder.onnx");
        var options = Options("fp32", ["vision-encoder.onnx"]) with { MaxAttempts = 1 };

        var failure = await Assert.ThrowsAsync<ModelDownloadException>(() => _downloader.PullAsync(options, null, Ct));
        var partial = Path.Combine(_dir.Path, ModelDownloader.StagingFolder, "vision-encoder.onnx.partial");
        var stored = new FileInfo(partial).Length;
        Assert.InRange(stored, 1, data.Length - 1);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "vision-encoder.onnx")));
        Assert.Equal("vision-encoder.onnx", failure.FileName);

        await _downloader.PullAsync(options, null, Ct);

        Assert.Equal($"bytes={stored}-", _mirror.RangesFor("vision-encoder.onnx").Last());
        Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(_dir.Path, "vision-encoder.onnx"), Ct));
        Assert.False(File.Exists(partial));
    }

    [Fact]
    public async Task PullAsync_ConnectionDroppedOnce_RetriesWithinOnePull()
    {
        var data = FakeModelMirror.RandomBytes(200_000, seed: 8);
        _mirror.Files["text-encoder.onnx"] = data;
        _mirror.DropFirstRequestHalfway.Add("text-encoder.onnx");
        var progress = new RecordingProgress();

        await _downloader.PullAsync(Options("fp32", ["text-encoder.onnx"]), progress, Ct);

        var ranges = _mirror.RangesFor("text-encoder.onnx");
        Assert.Equal(2, ranges.Count);
        Assert.Equal("", ranges[0]);
        Assert.StartsWith("bytes=", ranges[1], StringComparison.Ordinal);
        Assert.Contains(progress.Items, p => p.Stage == DownloadStage.Retrying);
        Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(_dir.Path, "text-encoder.onnx"), Ct));
    }

    [Fact]
    public async Task PullAsync_ServerIgnoresRange_RestartsFromZero()
    {
        var data = FakeModelMirror.RandomBytes(250_000, seed: 9);
        _mirror.Files["decoder.onnx"] = data;
        _mirror.SupportsRange = false;
        _mirror.DropFirstRequestHalfway.Add("decoder.onnx");

        await _downloader.PullAsync(Options("fp32", ["decoder.onnx"]), null, Ct);

        Assert.StartsWith("bytes=", _mirror.RangesFor("decoder.onnx")[1], StringComparison.Ordinal);
        Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(_dir.Path, "decoder.onnx"), Ct));
    }

    [Fact]
    public async Task PullAsync_HashMismatchAgainstPin_FailsAndInstallsNothing()
    {
        var good = FakeModelMirror.RandomBytes(100_000, seed: 10);
        var corrupt = (byte[])good.Clone();
        corrupt[5_000] ^= 0x40;
        _mirror.Files["a.onnx"] = FakeModelMirror.RandomBytes(50_000, seed: 11);
        _mirror.Files["b.onnx"] = corrupt;
        var options = Options("fp32", ["a.onnx", "b.onnx"]) with
        {
            ExpectedSha256 = new Dictionary<string, string> { ["b.onnx"] = Convert.ToHexStringLower(SHA256.HashData(good)) },
        };

        var failure = await Assert.ThrowsAsync<ModelDownloadException>(() => _downloader.PullAsync(options, null, Ct));

        Assert.Equal("b.onnx", failure.FileName);
        Assert.Contains("sha256", failure.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "a.onnx")));
        Assert.False(File.Exists(Path.Combine(_dir.Path, "b.onnx")));
        Assert.False(File.Exists(Path.Combine(_dir.Path, BundleFiles.Manifest)));
    }

    [Fact]
    public async Task PullAsync_RemoteManifestPins_RejectsChangedFile()
    {
        var data = FakeModelMirror.RandomBytes(10_000, seed: 12);
        _mirror.Files["a.onnx"] = data;
        _mirror.Files[BundleFiles.Manifest] = System.Text.Encoding.UTF8.GetBytes(
            ManifestJson.ToJson(new BundleManifest { Variant = "fp32", Files = [new BundleManifestFile("a.onnx", data.Length, new string('0', 64))] }));

        await Assert.ThrowsAsync<ModelDownloadException>(() => _downloader.PullAsync(Options("fp32", ["a.onnx"]), null, Ct));

        Assert.False(File.Exists(Path.Combine(_dir.Path, "a.onnx")));
    }

    [Fact]
    public async Task PullAsync_RequiredFileNotFound_ThrowsClearError()
    {
        _mirror.Files["a.onnx"] = FakeModelMirror.RandomBytes(1_000, seed: 13);

        var failure = await Assert.ThrowsAsync<ModelDownloadException>(
            () => _downloader.PullAsync(Options("fp32", ["a.onnx", "missing.onnx"]), null, Ct));

        Assert.Equal(HttpStatusCode.NotFound, failure.StatusCode);
        Assert.Equal("missing.onnx", failure.FileName);
        Assert.Contains("missing.onnx", failure.Message, StringComparison.Ordinal);
        Assert.Contains("404", failure.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "a.onnx")));
    }

    [Fact]
    public async Task PullAsync_AlreadyInstalled_DownloadsNothing()
    {
        _mirror.AddDefaultSet("q8", withVocabulary: true);
        await _downloader.PullAsync(Options("q8"), null, Ct);
        var requests = _mirror.RequestCount;

        var again = await _downloader.PullAsync(Options("q8"), null, Ct);

        Assert.Empty(again.Downloaded);
        Assert.Equal(6, again.Files.Count);
        Assert.Equal(requests + 1, _mirror.RequestCount); // only the manifest probe
    }

    [Fact]
    public async Task Verify_ByteFlippedAfterInstall_ReportsHashChanged()
    {
        _mirror.AddDefaultSet("q8", withVocabulary: true);
        await _downloader.PullAsync(Options("q8"), null, Ct);
        var victim = Path.Combine(_dir.Path, "text-encoder-q8.onnx");
        var bytes = await File.ReadAllBytesAsync(victim, Ct);
        bytes[bytes.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(victim, bytes, Ct);
        File.Delete(Path.Combine(_dir.Path, BundleFiles.Vocabulary));

        var report = ModelVerifier.Verify(_dir.Path, Ct);

        Assert.False(report.IsValid);
        Assert.Contains(report.Problems, p => p.File == "text-encoder-q8.onnx" && p.Kind == VerificationProblemKind.HashChanged);
        Assert.Contains(report.Problems, p => p.File == BundleFiles.Vocabulary && p.Kind == VerificationProblemKind.Missing);
        Assert.Equal(4, report.Intact.Count);
    }

    [Fact]
    public async Task PullAsync_AnotherPullRunning_FailsWithoutTouchingIt()
    {
        _mirror.Files["a.onnx"] = FakeModelMirror.RandomBytes(1_000, seed: 14);
        var staging = Directory.CreateDirectory(Path.Combine(_dir.Path, ModelDownloader.StagingFolder));
        await using var held = new FileStream(Path.Combine(staging.FullName, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

        var failure = await Assert.ThrowsAsync<ModelDownloadException>(() => _downloader.PullAsync(Options("fp32", ["a.onnx"]), null, Ct));

        Assert.Contains("another pull", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, _mirror.RequestCount);
    }

    [Fact]
    public void Verify_NoManifest_ReportsManifestMissing()
    {
        var report = ModelVerifier.Verify(_dir.Path, Ct);

        Assert.False(report.IsValid);
        Assert.Equal(VerificationProblemKind.ManifestMissing, Assert.Single(report.Problems).Kind);
    }

    [Fact]
    public async Task List_TwoVariantsOneIncomplete_ReportsBoth()
    {
        _mirror.AddDefaultSet("q8", withVocabulary: true);
        await _downloader.PullAsync(Options("q8"), null, Ct);
        await File.WriteAllBytesAsync(Path.Combine(_dir.Path, "vision-encoder.onnx"), [1, 2, 3], Ct);

        var listing = ModelCatalog.List(_dir.Path);

        Assert.True(listing.HasVocabulary);
        Assert.Equal("q8", listing.ManifestVariant);
        Assert.Equal(["fp32", "q8"], listing.Variants.Select(v => v.Variant));
        var fp32 = listing.Variants[0];
        Assert.False(fp32.Complete);
        Assert.Equal(4, fp32.MissingFiles.Count);
        Assert.False(fp32.InManifest);
        var q8 = listing.Variants[1];
        Assert.True(q8.Complete);
        Assert.True(q8.InManifest);
        Assert.Equal(5, q8.Files.Count);
    }

    private PullOptions Options(string variant, IReadOnlyList<string>? files = null) => new()
    {
        Variant = variant,
        Directory = _dir.Path,
        BaseUrl = _mirror.BaseUrl,
        Files = files,
        RetryDelay = TimeSpan.FromMilliseconds(10),
    };

    private sealed class RecordingProgress : IProgress<DownloadProgress>
    {
        public ConcurrentQueue<DownloadProgress> Items { get; } = new();

        public void Report(DownloadProgress value) => Items.Enqueue(value);
    }
}

/// <summary>
/// A loopback HTTP server that serves byte arrays under <c>/sam3/</c>, honours (or ignores) Range requests,
/// can drop a connection halfway through a body, and records every request's Range header.
/// </summary>
internal sealed class FakeModelMirror : IAsyncDisposable
{
    private readonly ConcurrentQueue<(string Name, string Range)> _requests = new();
    private WebApplication? _app;

    public ConcurrentDictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);
    public ConcurrentBag<string> DropFirstRequestHalfway { get; } = [];
    public bool SupportsRange { get; set; } = true;
    public string BaseUrl { get; private set; } = "";
    public int RequestCount => _requests.Count;

    public static byte[] RandomBytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    public Dictionary<string, byte[]> AddDefaultSet(string variant, bool withVocabulary)
    {
        var added = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var seed = 100;
        foreach (var name in BundleFiles.DefaultOnnxFiles.Select(f => BundleFiles.ForVariant(f, variant)))
        {
            added[name] = RandomBytes(20_000 + (seed * 37), seed++);
        }
        if (withVocabulary)
        {
            added[BundleFiles.Vocabulary] = RandomBytes(5_000, seed);
        }
        foreach (var (name, data) in added)
        {
            Files[name] = data;
        }
        return added;
    }

    public List<string> RangesFor(string name) => [.. _requests.Where(r => r.Name == name).Select(r => r.Range)];

    public async ValueTask StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = address.TrimEnd('/') + "/sam3/";
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var name = Uri.UnescapeDataString(path.StartsWith("/sam3/", StringComparison.Ordinal) ? path["/sam3/".Length..] : path);
        var range = context.Request.Headers.Range.ToString();
        _requests.Enqueue((name, range));
        if (!Files.TryGetValue(name, out var data))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        long from = 0;
        if (SupportsRange && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            from = long.Parse(range["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
            if (from >= data.Length)
            {
                context.Response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                context.Response.Headers.ContentRange = $"bytes */{data.Length}";
                return;
            }
            context.Response.StatusCode = StatusCodes.Status206PartialContent;
            context.Response.Headers.ContentRange = $"bytes {from}-{data.Length - 1}/{data.Length}";
        }
        context.Response.ContentLength = data.Length - from;
        var body = data.AsMemory((int)from);

        if (DropFirstRequestHalfway.TryTake(out var dropped))
        {
            if (dropped != name)
            {
                DropFirstRequestHalfway.Add(dropped);
            }
            else
            {
                await context.Response.Body.WriteAsync(body[..(body.Length / 2)]);
                await context.Response.Body.FlushAsync();
                context.Abort();
                return;
            }
        }
        await context.Response.Body.WriteAsync(body);
    }
}
