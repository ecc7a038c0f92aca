using System.Net;
using System.Net.Http.Headers;
using Sam3Serve.Engine.Text;

namespace Sam3Serve.Engine.Bundle.Download;

/// <summary>
/// Fetches a model bundle over HTTP into a staging folder inside the bundle folder, resuming interrupted
/// transfers with Range requests, checking announced sizes and pinned sha256 hashes, and moving the files into
/// place only when every one of them is complete and verified. <c>manifest.json</c> is written last.
/// </summary>
public sealed class ModelDownloader : IDisposable
{
    /// <summary>Folder inside the bundle folder that holds transfers in progress and verified files not yet installed.</summary>
    public const string StagingFolder = ".download";

    private const string PartialSuffix = ".partial";
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(200);

    private readonly HttpClient _http;
    private readonly bool _ownsClient;

    /// <summary>Uses <paramref name="http"/>, or an own client with no overall timeout when null.</summary>
    public ModelDownloader(HttpClient? http = null)
    {
        _ownsClient = http is null;
        // Model files take minutes; stalls are caught per read by PullOptions.StallTimeout instead.
        _http = http ?? new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Downloads, verifies and installs the files that <paramref name="options"/> names.</summary>
    /// <exception cref="ModelDownloadException">A required file is missing on the server, fails its size or
    /// hash check, or cannot be fetched after <see cref="PullOptions.MaxAttempts"/>; nothing is installed then.</exception>
    public async Task<PullResult> PullAsync(PullOptions options, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        var directory = Path.GetFullPath(options.Directory);
        var staging = Path.Combine(directory, StagingFolder);
        Directory.CreateDirectory(staging);
        PullResult result;
        using (AcquirePullLock(staging, options.Directory))
        {
            result = await PullLockedAsync(options, directory, staging, progress, ct).ConfigureAwait(false);
        }
        TryDeleteEmpty(staging);
        return result;
    }

    private async Task<PullResult> PullLockedAsync(PullOptions options, string directory, string staging, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {

        var files = options.ResolveFiles();
        var optional = options.ResolveOptionalFiles();
        var pins = options.ExpectedSha256 ?? await TryFetchRemotePinsAsync(options, ct).ConfigureAwait(false);
        var installed = BundleManifest.TryRead(directory);

        var entries = new List<BundleManifestFile>();
        var downloaded = new List<string>();
        var notOnServer = new Dictionary<string, string>(StringComparer.Ordinal);
        var vocabularyDerived = false;
        for (var i = 0; i < files.Count; i++)
        {
            var name = files[i];
            var context = new FileContext(name, i + 1, files.Count, options.UrlFor(name), progress);
            pins.TryGetValue(name, out var pin);

            var current = await TryKeepInstalledAsync(directory, installed, name, pin, ct).ConfigureAwait(false);
            if (current is not null)
            {
                context.Report(DownloadStage.UpToDate, current.Size, current.Size, 0);
                entries.Add(current);
                continue;
            }

            var staged = Path.Combine(staging, name);
            if (!File.Exists(staged))
            {
                string? missing = null;
                try
                {
                    await TransferWithRetriesAsync(context, staged + PartialSuffix, options, ct).ConfigureAwait(false);
                    File.Move(staged + PartialSuffix, staged, overwrite: true);
                }
                catch (ModelDownloadException ex) when (ex.StatusCode == HttpStatusCode.NotFound && optional.Contains(name))
                {
                    missing = $"{context.Url} answered 404 Not Found.";
                }
                if (missing is not null)
                {
                    var local = Path.Combine(directory, name);
                    if (File.Exists(local))
                    {
                        // Placed by hand: keep it and record it.
                        entries.Add(new BundleManifestFile(name, new FileInfo(local).Length, await FileHashing.Sha256Async(local, ct).ConfigureAwait(false)));
                        continue;
                    }
                    if (name == BundleFiles.Vocabulary && options.DeriveVocabularyFromTokenizerJson)
                    {
                        var problem = await TryDeriveVocabularyAsync(options, staging, staged, context, ct).ConfigureAwait(false);
                        if (problem is null)
                        {
                            vocabularyDerived = true;
                        }
                        else
                        {
                            missing += " " + problem;
                        }
                    }
                    if (!File.Exists(staged))
                    {
                        notOnServer[name] = $"{missing} {MissingOptionalHint(name, directory)}";
                        context.Report(DownloadStage.NotOnServer, 0, null, 0, notOnServer[name]);
                        continue;
                    }
                }
                downloaded.Add(name);
            }

            var size = new FileInfo(staged).Length;
            context.Report(DownloadStage.Verifying, size, size, 0);
            var sha = await FileHashing.Sha256Async(staged, ct).ConfigureAwait(false);
            if (pin is not null && !FileHashing.Matches(pin, sha))
            {
                File.Delete(staged);
                throw new ModelDownloadException(name, context.Url,
                    $"{name}: sha256 {sha} does not match the expected {pin.Trim().ToLowerInvariant()}; the download was discarded and nothing was installed");
            }
            entries.Add(new BundleManifestFile(name, size, sha));
            context.Report(DownloadStage.Completed, size, size, 0);
        }

        Install(directory, staging, options.Variant, entries, installed);
        return new PullResult(directory, options.Variant, entries, downloaded, notOnServer, vocabularyDerived);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsClient)
        {
            _http.Dispose();
        }
    }

    // Old manifest goes first and the new one last: a crash in between leaves no manifest, which
    // ModelVerifier reports, rather than a manifest describing files that are not there.
    private static void Install(string directory, string staging, string variant, List<BundleManifestFile> entries, BundleManifest? previous)
    {
        var manifestPath = Path.Combine(directory, BundleFiles.Manifest);
        if (File.Exists(manifestPath))
        {
            File.Delete(manifestPath);
        }
        foreach (var entry in entries)
        {
            var staged = Path.Combine(staging, entry.Name);
            if (File.Exists(staged))
            {
                File.Move(staged, Path.Combine(directory, entry.Name), overwrite: true);
            }
        }
        // Entries of other variants or files outside this pull stay recorded while their files exist; a test
        // fixture's entries do not describe real models and are dropped.
        var kept = previous is { Fixture: true } ? [] : previous?.Files
            .Where(f => entries.All(e => e.Name != f.Name) && File.Exists(Path.Combine(directory, f.Name)))
            ?? [];
        ManifestJson.Write(new BundleManifest { Variant = variant, Files = [.. kept, .. entries] }, directory);
    }

    private static async Task<BundleManifestFile?> TryKeepInstalledAsync(string directory, BundleManifest? installed, string name, string? pin, CancellationToken ct)
    {
        var recorded = installed?.Find(name);
        var path = Path.Combine(directory, name);
        if (recorded is null || !File.Exists(path) || new FileInfo(path).Length != recorded.Size)
        {
            return null;
        }
        if (pin is not null && !FileHashing.Matches(pin, recorded.Sha256))
        {
            return null;
        }
        var sha = await FileHashing.Sha256Async(path, ct).ConfigureAwait(false);
        return FileHashing.Matches(recorded.Sha256, sha) ? recorded with { Sha256 = sha } : null;
    }

    private async Task<IReadOnlyDictionary<string, string>> TryFetchRemotePinsAsync(PullOptions options, CancellationToken ct)
    {
        if (!options.UseRemoteManifest)
        {
            return new Dictionary<string, string>();
        }
        var url = options.UrlFor(BundleFiles.Manifest);
        try
        {
            using var response = await _http.GetAsync(url, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return new Dictionary<string, string>();
            }
            var manifest = ManifestJson.Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
            return manifest.Files.ToDictionary(f => f.Name, f => f.Sha256, StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is HttpRequestException or System.Text.Json.JsonException or InvalidDataException)
        {
            throw new ModelDownloadException(BundleFiles.Manifest, url, $"the server's {BundleFiles.Manifest} could not be read: {ex.Message}", inner: ex);
        }
    }

    private async Task TransferWithRetriesAsync(FileContext context, string partialPath, PullOptions options, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await TransferOnceAsync(context, partialPath, options, ct).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (IsTransient(ex, ct))
            {
                if (attempt >= options.MaxAttempts)
                {
                    throw new ModelDownloadException(context.Name, context.Url,
                        $"{context.Name}: transfer failed after {attempt} attempt(s): {ex.Message}. Run the pull again to resume from {BytesOf(partialPath)} bytes.",
                        (ex as HttpRequestException)?.StatusCode, ex);
                }
                context.Report(DownloadStage.Retrying, BytesOf(partialPath), null, 0, $"attempt {attempt} failed: {ex.Message}");
                var delay = options.RetryDelay * Math.Pow(2, attempt - 1);
                await Task.Delay(delay, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task TransferOnceAsync(FileContext context, string partialPath, PullOptions options, CancellationToken ct)
    {
        var existing = BytesOf(partialPath);
        using var request = new HttpRequestMessage(HttpMethod.Get, context.Url);
        if (existing > 0)
        {
            request.Headers.Range = new RangeHeaderValue(existing, null);
        }
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stall.CancelAfter(options.StallTimeout);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stall.Token).ConfigureAwait(false);

        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            if (response.Content.Headers.ContentRange?.Length == existing)
            {
                return; // the stored part is already the whole file
            }
            File.Delete(partialPath);
            throw new IOException($"the stored {existing} bytes do not fit the file on the server; starting over");
        }
        if (!response.IsSuccessStatusCode)
        {
            var status = response.StatusCode;
            if ((int)status >= 500 || status == HttpStatusCode.TooManyRequests || status == HttpStatusCode.RequestTimeout)
            {
                throw new HttpRequestException($"{context.Url} answered {(int)status} {response.ReasonPhrase}", null, status);
            }
            var what = status == HttpStatusCode.NotFound ? "is not on the server" : "cannot be fetched";
            throw new ModelDownloadException(context.Name, context.Url,
                $"{context.Name} {what}: {context.Url} answered {(int)status} {response.ReasonPhrase}", status);
        }

        long offset;
        long? total;
        if (response.StatusCode == HttpStatusCode.PartialContent && existing > 0)
        {
            var range = response.Content.Headers.ContentRange;
            if (range?.From != existing)
            {
                File.Delete(partialPath);
                throw new IOException($"the server resumed at byte {range?.From} instead of {existing}; starting over");
            }
            offset = existing;
            total = range.Length ?? (response.Content.Headers.ContentLength is { } length ? existing + length : null);
        }
        else
        {
            // A plain 200 means the server ignored Range (or there was nothing to resume): start from zero.
            offset = 0;
            total = response.Content.Headers.ContentLength;
        }

        await using var body = await response.Content.ReadAsStreamAsync(stall.Token).ConfigureAwait(false);
        await using var file = new FileStream(partialPath, offset == 0 ? FileMode.Create : FileMode.OpenOrCreate, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        file.SetLength(offset);
        file.Position = offset;

        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var lastReport = started;
            var position = offset;
            context.Report(DownloadStage.Downloading, position, total, 0);
            while (true)
            {
                stall.CancelAfter(options.StallTimeout);
                var read = await body.ReadAsync(buffer, stall.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                await file.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                position += read;
                if (total is { } limit && position > limit)
                {
                    throw new ModelDownloadException(context.Name, context.Url, $"{context.Name}: the server sent more than the announced {limit} bytes");
                }
                var now = System.Diagnostics.Stopwatch.GetTimestamp();
                if (System.Diagnostics.Stopwatch.GetElapsedTime(lastReport, now) >= ProgressInterval)
                {
                    lastReport = now;
                    context.Report(DownloadStage.Downloading, position, total, Rate(position - offset, started, now));
                }
            }
            await file.FlushAsync(ct).ConfigureAwait(false);
            context.Report(DownloadStage.Downloading, position, total, Rate(position - offset, started, System.Diagnostics.Stopwatch.GetTimestamp()));
            if (total is { } expected && position != expected)
            {
                throw new IOException($"the transfer ended at byte {position} of {expected}");
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // The usls release ships a Hugging Face tokenizer.json instead of the CLIP merges file; the merges file is
    // recovered from it (and checked against its vocabulary). Returns null on success, else why it failed.
    private async Task<string?> TryDeriveVocabularyAsync(PullOptions options, string staging, string stagedVocabulary, FileContext vocabulary, CancellationToken ct)
    {
        const string jsonName = "tokenizer.json";
        var context = vocabulary with { Name = jsonName, Url = options.UrlFor(jsonName) };
        var jsonPath = Path.Combine(staging, jsonName);
        try
        {
            await TransferWithRetriesAsync(context, jsonPath + PartialSuffix, options, ct).ConfigureAwait(false);
            File.Move(jsonPath + PartialSuffix, jsonPath, overwrite: true);
            var merges = TokenizerJsonMerges.WriteMergesFile(jsonPath, stagedVocabulary);
            vocabulary.Report(DownloadStage.Completed, new FileInfo(stagedVocabulary).Length, null, 0, $"derived from {jsonName} ({merges} merges)");
            return null;
        }
        catch (ModelDownloadException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return $"{context.Url} answered 404 Not Found as well.";
        }
        catch (InvalidDataException ex)
        {
            return $"{jsonName} could not stand in for it: {ex.Message}.";
        }
        finally
        {
            File.Delete(jsonPath);
        }
    }

    // Two pulls into one folder would write the same .partial files; the second one stops instead.
    private static FileStream AcquirePullLock(string staging, string directory)
    {
        try
        {
            return new FileStream(Path.Combine(staging, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (IOException ex)
        {
            throw new ModelDownloadException(BundleFiles.Manifest, null, $"another pull into {directory} is running", inner: ex);
        }
    }

    private static bool IsTransient(Exception ex, CancellationToken ct) => ex switch
    {
        ModelDownloadException => false,
        OperationCanceledException => !ct.IsCancellationRequested, // the stall timer, not the caller
        HttpRequestException http => http.StatusCode is null || (int)http.StatusCode >= 500
            || http.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout,
        IOException => true,
        _ => false,
    };

    private static double Rate(long bytes, long startTimestamp, long nowTimestamp)
    {
        var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(startTimestamp, nowTimestamp).TotalSeconds;
        return seconds > 0 ? bytes / seconds : 0;
    }

    private static long BytesOf(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    private static string MissingOptionalHint(string name, string directory) => name == BundleFiles.Vocabulary
        ? $"Text prompts need it: copy {name} from facebookresearch/sam3 (sam3/assets/{name}) into {directory}."
        : $"Place {name} into {directory} by hand if you need it.";

    private static void TryDeleteEmpty(string folder)
    {
        try
        {
            if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any())
            {
                Directory.Delete(folder);
            }
        }
        catch (IOException)
        {
            // Another pull may be writing there; an empty staging folder is harmless.
        }
    }

    private sealed record FileContext(string Name, int Index, int Count, Uri Url, IProgress<DownloadProgress>? Progress)
    {
        public void Report(DownloadStage stage, long done, long? total, double rate, string? message = null) =>
            Progress?.Report(new DownloadProgress(Name, Index, Count, stage, done, total, rate, message));
    }
}
