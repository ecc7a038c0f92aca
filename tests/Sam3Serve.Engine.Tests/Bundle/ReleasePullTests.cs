using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine.Bundle;
using Sam3Serve.Models;
using Sam3Serve.Models.Sources;
using Sam3Serve.Engine.Tests.Support;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Engine.Tests.Bundle;

/// <summary>
/// Pulls from a loopback stand-in of the usls GitHub release (API listing, browser_download_url redirected to a
/// separate download host) serving the fixture graphs under variant names, then loads what was installed and runs
/// requests on it.
/// </summary>
public sealed class ReleasePullTests : IAsyncLifetime
{
    private readonly TempDir _fixture = new("sam3-release-fixture");
    private readonly TempDir _dir = new("sam3-release-pull");
    private readonly ModelDownloader _downloader = new();
    private FakeGitHubRelease _release = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _release = await FakeGitHubRelease.StartAsync();

    public async ValueTask DisposeAsync()
    {
        _downloader.Dispose();
        await _release.DisposeAsync();
        _fixture.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Pull_FullRelease_CpuTakesQ8EverywhereAndTheBundleAnswersEveryMode()
    {
        FixtureRelease.Publish(_release, _fixture.Path, _ => FixtureRelease.AllVariants);

        var plan = await _downloader.PlanAsync(Options(), Ct);

        Assert.Empty(_release.Downloads); // the plan is made before the first byte
        Assert.All(BundleRole.All, r => Assert.Equal("q8", Assert.Single(plan.Files, f => f.Role == r.Id).Variant));
        Assert.Contains(plan.Files, f => f.Name == "tokenizer.json" && f.DerivesVocabulary);
        Assert.Empty(plan.Notes);

        var result = await _downloader.InstallAsync(plan, Options(), null, Ct);

        Assert.Equal(6, result.Downloaded.Count);
        Assert.DoesNotContain(_release.Requests, r => r.Path.EndsWith(BundleFiles.Vocabulary, StringComparison.Ordinal));
        Assert.All(_release.Downloads, d => Assert.StartsWith("/objects/", d.Path, StringComparison.Ordinal)); // followed the redirect
        var manifest = BundleManifest.TryRead(_dir.Path)!;
        Assert.Equal("q8", manifest.Variant);
        Assert.Equal("q8", manifest.Find("tracker-vision-encoder-q8.onnx")!.Variant);
        Assert.Equal(BundleRole.VocabularyId, manifest.Find(BundleFiles.Vocabulary)!.Role);
        Assert.True(ModelVerifier.Verify(_dir.Path, Ct).IsValid);
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, ModelDownloader.StagingFolder)));

        using var engine = await LoadAsync(null);
        Assert.False(engine.Bundle!.IsMixed);
        await AssertConceptWorksAsync(engine);
        await AssertInteractiveWorksAsync(engine);
    }

    [Theory]
    [InlineData("cuda", "fp16")]
    [InlineData("tensorrt", "fp32")]
    public async Task Plan_FullRelease_GpuProvidersTakeTheirFirstVariant(string provider, string expected)
    {
        FixtureRelease.Publish(_release, _fixture.Path, _ => FixtureRelease.AllVariants);

        var plan = await _downloader.PlanAsync(Options() with { ExecutionProvider = provider }, Ct);

        Assert.All(plan.Files.Where(f => f.Role is not null && BundleRole.FromId(f.Role) is not null), f => Assert.Equal(expected, f.Variant));
    }

    [Fact]
    public async Task Plan_OnlyFloatVariants_CpuPrefersFp32OverFp16()
    {
        FixtureRelease.Publish(_release, _fixture.Path, _ => ["fp16", "fp32"]);

        var plan = await _downloader.PlanAsync(Options(), Ct);

        var vision = Assert.Single(plan.Files, f => f.Role == BundleRole.VisionEncoder.Id);
        Assert.Equal("fp32", vision.Variant);
        Assert.Equal(["q8", "q4f16"], vision.Skipped);
    }

    [Fact]
    public async Task Pull_TrackerEncoderOnlyQ4f16_InstallsAMixedBundleThatRuns()
    {
        FixtureRelease.Publish(_release, _fixture.Path, r => r == BundleRole.TrackerVisionEncoder ? ["q4f16"] : ["q8"]);

        var plan = await _downloader.PlanAsync(Options(), Ct);
        var result = await _downloader.InstallAsync(plan, Options(), null, Ct);

        var tracker = Assert.Single(result.Files, f => f.Role == BundleRole.TrackerVisionEncoder.Id);
        Assert.Equal(("tracker-vision-encoder-q4f16.onnx", "q4f16"), (tracker.Name, tracker.Variant));
        Assert.Contains("no q8 on the source", plan.Describe(), StringComparison.Ordinal);
        var bundle = ModelBundle.Open(_dir.Path, null);
        Assert.True(bundle.IsMixed);
        Assert.Equal("q4f16", bundle.FileVariants["tracker-vision-encoder-q4f16.onnx"]);
        Assert.Equal("q8", bundle.FileVariants["tracker-prompt-encoder-mask-decoder-q8.onnx"]);
        // The variant the pull preferred loads the recorded mix, as `serve --variant q8` does on the next start.
        Assert.EndsWith("tracker-vision-encoder-q4f16.onnx", ModelBundle.Open(_dir.Path, "q8").Tracker!.VisionEncoder, StringComparison.Ordinal);

        using var engine = await LoadAsync(null);
        await AssertConceptWorksAsync(engine);
        await AssertInteractiveWorksAsync(engine);
    }

    [Fact]
    public async Task Pull_NoTrackerFiles_ConceptWorksAndOtherModesNameTheMissingFiles()
    {
        FixtureRelease.Publish(_release, _fixture.Path, r => r.IsTracker ? [] : ["q8", "q4f16"]);

        var plan = await _downloader.PlanAsync(Options(), Ct);
        await _downloader.InstallAsync(plan, Options(), null, Ct);

        Assert.False(plan.HasTracker);
        Assert.Contains(plan.Notes, n => n.Contains("tracker pair", StringComparison.Ordinal));
        using var engine = await LoadAsync(null);
        await AssertConceptWorksAsync(engine);
        var scene = SyntheticImage.Landscape();
        var point = new SegmentationRequest { Mode = SegmentationMode.Interactive, Points = [new PointPrompt(scene.Green.CentreX, scene.Green.CentreY, 1)] };
        var error = await Assert.ThrowsAsync<ModeUnavailableException>(async () => await engine.SegmentAsync(point, scene.Image, Ct));
        Assert.Contains(BundleFiles.TrackerVisionEncoder, error.Message, StringComparison.Ordinal);
        Assert.Contains(BundleFiles.TrackerDecoder, error.Message, StringComparison.Ordinal);
        Assert.Contains("text prompts", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_dir.Path, error.Message, StringComparison.Ordinal);
        var automatic = new SegmentationRequest { Mode = SegmentationMode.Automatic };
        Assert.Equal(SegmentationMode.Automatic,
            (await Assert.ThrowsAsync<ModeUnavailableException>(async () => await engine.SegmentAsync(automatic, scene.Image, Ct))).Mode);
    }

    [Fact]
    public async Task Install_WrongDigest_RefusesAndInstallsNothing()
    {
        FixtureRelease.Publish(_release, _fixture.Path, _ => ["q8"]);
        _release.DigestOverrides["geo-encoder-mask-decoder-q8.onnx"] = "sha256:" + new string('a', 64);

        var plan = await _downloader.PlanAsync(Options(), Ct);
        var error = await Assert.ThrowsAsync<ModelDownloadException>(() => _downloader.InstallAsync(plan, Options(), null, Ct));

        Assert.Equal("geo-encoder-mask-decoder-q8.onnx", error.FileName);
        Assert.Contains("does not match the digest", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(_dir.Path));
        Assert.False(File.Exists(Path.Combine(_dir.Path, ModelDownloader.StagingFolder, "geo-encoder-mask-decoder-q8.onnx")));
    }

    [Fact]
    public async Task Plan_MalformedDigest_FailsBeforeAnyDownload()
    {
        FixtureRelease.Publish(_release, _fixture.Path, _ => ["q8"]);
        _release.DigestOverrides["text-encoder-q8.onnx"] = "md5:1234";

        var error = await Assert.ThrowsAsync<ModelSourceException>(() => _downloader.PlanAsync(Options(), Ct));

        Assert.Equal(ModelSourceProblem.Invalid, error.Problem);
        Assert.Contains("text-encoder-q8.onnx", error.Message, StringComparison.Ordinal);
        Assert.Empty(_release.Downloads);
    }

    [Fact]
    public async Task Pull_TransferCutOff_NextPullResumesWithRange()
    {
        FixtureRelease.Publish(_release, _fixture.Path, _ => ["q8"]);
        const string victim = "vision-encoder-q8.onnx";
        _release.DropNextDownloadHalfway.Add(victim);
        var once = Options() with { MaxAttempts = 1 };

        var failure = await Assert.ThrowsAsync<ModelDownloadException>(() => _downloader.PullAsync(once, null, Ct));
        var partial = Path.Combine(_dir.Path, ModelDownloader.StagingFolder, victim + ".partial");
        Assert.True(File.Exists(partial), failure.Message);
        var stored = new FileInfo(partial).Length;
        var size = _release.Assets[victim].Length;

        Assert.True(victim == failure.FileName, failure.Message);
        Assert.InRange(stored, 1, size - 1);
        Assert.False(File.Exists(Path.Combine(_dir.Path, BundleFiles.Manifest)));

        await _downloader.PullAsync(once, null, Ct);

        Assert.Equal($"bytes={stored}-", _release.Downloads.Last(d => d.Path.EndsWith(victim, StringComparison.Ordinal)).Range);
        Assert.Equal(_release.Assets[victim], await File.ReadAllBytesAsync(Path.Combine(_dir.Path, victim), Ct));
        Assert.True(ModelVerifier.Verify(_dir.Path, Ct).IsValid);
        using var engine = await LoadAsync(null);
        await AssertConceptWorksAsync(engine);
    }

    [Fact]
    public async Task Plan_RateLimited_SaysSoAndHowToRaiseTheLimit()
    {
        FixtureRelease.Publish(_release, _fixture.Path, _ => ["q8"]);
        _release.RateLimited = true;

        var error = await Assert.ThrowsAsync<ModelSourceException>(() => _downloader.PlanAsync(Options(), Ct));

        Assert.Equal(ModelSourceProblem.RateLimited, error.Problem);
        Assert.Contains("x-ratelimit-remaining: 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("GITHUB_TOKEN", error.Message, StringComparison.Ordinal);
        Assert.Contains("resets at", error.Message, StringComparison.Ordinal);
        Assert.Empty(_release.Downloads);
    }

    [Fact]
    public async Task Plan_ListingUnreachable_SaysTheHostCannotBeReached()
    {
        var closed = $"http://127.0.0.1:{FreePort()}/";
        var options = Options() with { Source = BundleSource.ParseRelease(_release.ReleaseSpec, closed) };

        var error = await Assert.ThrowsAsync<ModelSourceException>(() => _downloader.PlanAsync(options, Ct));

        Assert.Equal(ModelSourceProblem.Unreachable, error.Problem);
        Assert.Contains("cannot reach", error.Message, StringComparison.Ordinal);
        Assert.Contains(closed.TrimEnd('/'), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_UnknownTag_IsNotFound()
    {
        var options = Options() with { Source = BundleSource.ParseRelease($"{_release.Owner}/{_release.Repository}@nope", _release.ApiBase) };

        var error = await Assert.ThrowsAsync<ModelSourceException>(() => _downloader.PlanAsync(options, Ct));

        Assert.Equal(ModelSourceProblem.NotFound, error.Problem);
        Assert.Contains("'nope'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_NoConceptDecoder_FailsNamingWhatTheReleaseHolds()
    {
        FixtureRelease.Publish(_release, _fixture.Path, r => r == BundleRole.Decoder ? ["bnb4"] : ["q8"]);

        var error = await Assert.ThrowsAsync<ModelSourceException>(() => _downloader.PlanAsync(Options(), Ct));

        Assert.Equal(ModelSourceProblem.NoUsableConceptSet, error.Problem);
        Assert.Contains("geo-encoder-mask-decoder in q8/q4f16/fp32/fp16 (it has bnb4)", error.Message, StringComparison.Ordinal);
        Assert.Contains("--variant", error.Message, StringComparison.Ordinal);
        Assert.Empty(_release.Downloads);

        // Asked for explicitly, that variant is taken.
        var plan = await _downloader.PlanAsync(Options() with { Variant = "bnb4" }, Ct);
        Assert.Equal("bnb4", Assert.Single(plan.Files, f => f.Role == BundleRole.Decoder.Id).Variant);
        Assert.Equal("q8", Assert.Single(plan.Files, f => f.Role == BundleRole.VisionEncoder.Id).Variant);
    }

    [Fact]
    public async Task Plan_Token_IsSentToTheApiOnlyAsBearer()
    {
        FixtureRelease.Publish(_release, _fixture.Path, _ => ["q8"]);

        await _downloader.PullAsync(Options() with { GitHubToken = "ghp_test123" }, null, Ct);

        var listing = Assert.Single(_release.Requests, r => r.Path.Contains("/releases/tags/", StringComparison.Ordinal));
        Assert.Equal("Bearer ghp_test123", listing.Authorization);
        Assert.StartsWith("sam3serve", listing.UserAgent, StringComparison.Ordinal);
        Assert.All(_release.Downloads, d => Assert.Equal("", d.Authorization)); // never forwarded to the storage host
    }

    [Fact]
    public async Task Pull_Again_KeepsVerifiedFilesAndDownloadsNothing()
    {
        FixtureRelease.Publish(_release, _fixture.Path, _ => ["q8"]);
        await _downloader.PullAsync(Options(), null, Ct);
        var before = _release.Downloads.Count;

        var again = await _downloader.PullAsync(Options(), null, Ct);

        Assert.Empty(again.Downloaded);
        Assert.Equal(before, _release.Downloads.Count);
        Assert.True(ModelVerifier.Verify(_dir.Path, Ct).IsValid);
        Assert.NotNull(ModelBundle.Open(_dir.Path, null).Tracker);
    }

    [Fact]
    public async Task Pull_FromAMirrorOfAnInstalledBundle_CopiesItsFilesRolesAndVariants()
    {
        FixtureRelease.Publish(_release, _fixture.Path, r => r == BundleRole.TrackerVisionEncoder ? ["q4f16"] : ["q8"]);
        await _downloader.PullAsync(Options(), null, Ct);
        await using var mirror = await LoopbackWebServer.StartAsync(app => app.Run((RequestDelegate)(async context =>
        {
            var path = Path.Combine(_dir.Path, Path.GetFileName(context.Request.Path.Value ?? ""));
            if (File.Exists(path))
            {
                await context.Response.SendFileAsync(path);
            }
            else
            {
                context.Response.StatusCode = 404;
            }
        })));
        using var copy = new TempDir("sam3-mirror-pull");

        var result = await _downloader.PullAsync(Options() with { Directory = copy.Path, Source = BundleSource.ParseMirror(mirror.BaseAddress.AbsoluteUri) }, null, Ct);

        Assert.Contains(result.Files, f => f.Name == BundleFiles.Vocabulary && f.Role == BundleRole.VocabularyId);
        Assert.DoesNotContain(result.Files, f => f.Name == "tokenizer.json"); // the merges file itself is there
        var bundle = ModelBundle.Open(copy.Path, null);
        Assert.True(bundle.IsMixed);
        Assert.True(ModelVerifier.Verify(copy.Path, Ct).IsValid);
    }

    [Fact]
    public async Task Plan_MirrorWithoutManifest_SaysAMirrorNeedsOne()
    {
        await using var empty = await LoopbackWebServer.StartAsync(app => app.Run((RequestDelegate)(context =>
        {
            context.Response.StatusCode = 404;
            return Task.CompletedTask;
        })));

        var error = await Assert.ThrowsAsync<ModelSourceException>(() =>
            _downloader.PlanAsync(Options() with { Source = BundleSource.ParseMirror(empty.BaseAddress.AbsoluteUri) }, Ct));

        Assert.Equal(ModelSourceProblem.NotFound, error.Problem);
        Assert.Contains(BundleFiles.Manifest, error.Message, StringComparison.Ordinal);
    }

    private PullOptions Options() => new()
    {
        Directory = _dir.Path,
        Source = BundleSource.ParseRelease(_release.ReleaseSpec, _release.ApiBase),
        RetryDelay = TimeSpan.FromMilliseconds(10),
    };

    private async Task<Sam3Engine> LoadAsync(string? variant)
    {
        var engine = new Sam3Engine(new EngineOptions { ModelDir = _dir.Path, Variant = variant });
        await engine.InitializeAsync(Ct);
        return engine;
    }

    private static async Task AssertConceptWorksAsync(Sam3Engine engine)
    {
        var scene = SyntheticImage.Landscape();
        var request = new SegmentationRequest { Mode = SegmentationMode.Concept, TextPrompts = ["red"] };
        var result = await engine.SegmentAsync(request, scene.Image, Ct);
        MaskAssert.MatchesRect(Assert.Single(result.Objects).Mask, scene.Red, 2);
    }

    private static async Task AssertInteractiveWorksAsync(Sam3Engine engine)
    {
        var scene = SyntheticImage.Landscape();
        var request = new SegmentationRequest { Mode = SegmentationMode.Interactive, Points = [new PointPrompt(scene.Green.CentreX, scene.Green.CentreY, 1)] };
        var result = await engine.SegmentAsync(request, scene.Image, Ct);
        MaskAssert.MatchesRect(Assert.Single(result.Objects).Mask, scene.Green, 2);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
