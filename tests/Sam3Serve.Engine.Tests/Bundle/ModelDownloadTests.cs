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
using Sam3Serve.Models;
using Sam3Serve.Models.Planning;
using Sam3Serve.Models.Sources;
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
    public async Task Install_ConnectionDroppedOnce_RetriesWithinOnePull()
    {
        var data = FakeModelMirror.RandomBytes(200_000, seed: 8);
        _mirror.Files["text-encoder.onnx"] = data;
        _mirror.DropFirstRequestHalfway.Add("text-encoder.onnx");
        var progress = new RecordingProgress();

        await _downloader.InstallAsync(PlanOf("text-encoder.onnx"), Options(), progress, Ct);

        var ranges = _mirror.RangesFor("text-encoder.onnx");
        Assert.Equal(2, ranges.Count);
        Assert.Equal("", ranges[0]);
        Assert.StartsWith("bytes=", ranges[1], StringComparison.Ordinal);
        Assert.Contains(progress.Items, p => p.Stage == DownloadStage.Retrying);
        Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(_dir.Path, "text-encoder.onnx"), Ct));
    }

    [Fact]
    public async Task Install_ServerIgnoresRange_RestartsFromZero()
    {
        var data = FakeModelMirror.RandomBytes(250_000, seed: 9);
        _mirror.Files["decoder.onnx"] = data;
        _mirror.SupportsRange = false;
        _mirror.DropFirstRequestHalfway.Add("decoder.onnx");

        await _downloader.InstallAsync(PlanOf("decoder.onnx"), Options(), null, Ct);

        Assert.StartsWith("bytes=", _mirror.RangesFor("decoder.onnx")[1], StringComparison.Ordinal);
        Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(_dir.Path, "decoder.onnx"), Ct));
    }

    [Fact]
    public async Task Install_PartialOfAnotherVersion_IsDiscardedNotResumed()
    {
        var data = FakeModelMirror.RandomBytes(120_000, seed: 15);
        _mirror.Files["a.onnx"] = data;
        var staging = Directory.CreateDirectory(Path.Combine(_dir.Path, ModelDownloader.StagingFolder));
        await File.WriteAllBytesAsync(Path.Combine(staging.FullName, "a.onnx.partial"), FakeModelMirror.RandomBytes(40_000, seed: 16), Ct);
        await File.WriteAllTextAsync(Path.Combine(staging.FullName, "a.onnx.partial.expect"), "120000 0000 http://elsewhere/a.onnx", Ct);

        await _downloader.InstallAsync(PlanOf("a.onnx"), Options(), null, Ct);

        Assert.Equal([""], _mirror.RangesFor("a.onnx"));
        Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(_dir.Path, "a.onnx"), Ct));
    }

    [Fact]
    public async Task Install_HashMismatch_FailsAndInstallsNothing()
    {
        var good = FakeModelMirror.RandomBytes(100_000, seed: 10);
        var corrupt = (byte[])good.Clone();
        corrupt[5_000] ^= 0x40;
        _mirror.Files["a.onnx"] = FakeModelMirror.RandomBytes(50_000, seed: 11);
        _mirror.Files["b.onnx"] = corrupt;
        var plan = PlanOf("a.onnx", "b.onnx");
        plan = plan with { Files = [plan.Files[0], plan.Files[1] with { Sha256 = Convert.ToHexStringLower(SHA256.HashData(good)) }] };

        var failure = await Assert.ThrowsAsync<ModelDownloadException>(() => _downloader.InstallAsync(plan, Options(), null, Ct));

        Assert.Equal("b.onnx", failure.FileName);
        Assert.Contains("sha256", failure.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "a.onnx")));
        Assert.False(File.Exists(Path.Combine(_dir.Path, "b.onnx")));
        Assert.False(File.Exists(Path.Combine(_dir.Path, BundleFiles.Manifest)));
    }

    [Fact]
    public async Task Install_HostAnnouncesAnotherSize_FailsBeforeStoringTheBody()
    {
        _mirror.Files["a.onnx"] = FakeModelMirror.RandomBytes(30_000, seed: 17);
        var plan = PlanOf("a.onnx");
        plan = plan with { Files = [plan.Files[0] with { Size = 29_999 }] };

        var failure = await Assert.ThrowsAsync<ModelDownloadException>(() => _downloader.InstallAsync(plan, Options(), null, Ct));

        Assert.Contains("announces 30000 bytes, the source lists 29999", failure.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir.Path, ModelDownloader.StagingFolder, "a.onnx.partial")));
    }

    [Fact]
    public async Task Install_PlannedFileNotFound_ThrowsClearError()
    {
        _mirror.Files["a.onnx"] = FakeModelMirror.RandomBytes(1_000, seed: 13);
        var plan = PlanOf("a.onnx");
        plan = plan with { Files = [.. plan.Files, plan.Files[0] with { Name = "missing.onnx", Url = new Uri(_mirror.BaseUrl + "missing.onnx"), Size = null }] };

        var failure = await Assert.ThrowsAsync<ModelDownloadException>(() => _downloader.InstallAsync(plan, Options(), null, Ct));

        Assert.Equal(HttpStatusCode.NotFound, failure.StatusCode);
        Assert.Equal("missing.onnx", failure.FileName);
        Assert.Contains("404", failure.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "a.onnx")));
    }

    [Fact]
    public async Task Verify_ByteFlippedAfterInstall_ReportsHashChanged()
    {
        var names = _mirror.AddDefaultSet("q8", withVocabulary: true).Keys.ToArray();
        await _downloader.InstallAsync(PlanOf(names), Options(), null, Ct);
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
    public async Task Install_AnotherPullRunning_FailsWithoutTouchingIt()
    {
        _mirror.Files["a.onnx"] = FakeModelMirror.RandomBytes(1_000, seed: 14);
        var staging = Directory.CreateDirectory(Path.Combine(_dir.Path, ModelDownloader.StagingFolder));
        await using var held = new FileStream(Path.Combine(staging.FullName, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

        var failure = await Assert.ThrowsAsync<ModelDownloadException>(() => _downloader.InstallAsync(PlanOf("a.onnx"), Options(), null, Ct));

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
        var names = _mirror.AddDefaultSet("q8", withVocabulary: true).Keys.ToArray();
        await _downloader.InstallAsync(PlanOf(names), Options(), null, Ct);
        await File.WriteAllBytesAsync(Path.Combine(_dir.Path, "vision-encoder.onnx"), [1, 2, 3], Ct);

        var listing = ModelCatalog.List(_dir.Path);

        Assert.True(listing.HasVocabulary);
        Assert.Equal("fp32", listing.ManifestVariant);
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

    private PullOptions Options() => new()
    {
        Directory = _dir.Path,
        Source = BundleSource.ParseMirror(_mirror.BaseUrl),
        RetryDelay = TimeSpan.FromMilliseconds(10),
    };

    // A hand-made plan over files the mirror serves (sizes as served, no digests): exercises the transfer alone.
    private DownloadPlan PlanOf(params string[] names) => new(
        BundleSource.ParseMirror(_mirror.BaseUrl),
        "cpu",
        ["fp32"],
        [.. names.Select(n => new PlannedFile(n, new Uri(_mirror.BaseUrl + n), _mirror.Files[n].Length, null, BundleRole.Parse(n)?.Role.Id, BundleRole.Parse(n)?.Variant, []))],
        []);

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
