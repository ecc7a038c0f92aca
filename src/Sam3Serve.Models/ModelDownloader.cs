using Sam3Serve.Engine.Bundle;
using System.Net;
using System.Net.Http.Headers;
using Sam3Serve.Models.Planning;
using Sam3Serve.Models.Sources;
using Sam3Serve.Engine.Text;

namespace Sam3Serve.Models;

/// <summary>
/// Pulls a model bundle: reads the source's listing and plans the files per role (<see cref="PlanAsync"/>), then
/// fetches them into a staging folder inside the bundle folder (<see cref="InstallAsync"/>), resuming interrupted
/// transfers with Range requests, checking each file's size and, where the source gives one, its sha256, and moving
/// the files into place only when every one of them is complete and verified. <c>manifest.json</c> is written last
/// and records each file's role and variant.
/// </summary>
public sealed class ModelDownloader : IDisposable
{
    /// <summary>Folder inside the bundle folder that holds transfers in progress and verified files not yet installed.</summary>
    public const string StagingFolder = ".download";

    private const string PartialSuffix = ".partial";
    private const string ExpectSuffix = ".expect";
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

    /// <summary>
    /// Reads the source's listing and chooses the files (<see cref="BundlePlanner"/>); downloads nothing.
    /// </summary>
    /// <exception cref="ModelSourceException">The source is unreachable, rate-limited, missing, unreadable, or lacks a concept set.</exception>
    public async Task<DownloadPlan> PlanAsync(PullOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        var listing = await SourceReader.ReadAsync(_http, options.Source, options.GitHubToken, options.ListingTimeout, ct).ConfigureAwait(false);
        return BundlePlanner.Plan(listing, options.ExecutionProvider, options.Order);
    }

    /// <summary>Plans and installs: <see cref="PlanAsync"/> then <see cref="InstallAsync"/>.</summary>
    public async Task<PullResult> PullAsync(PullOptions options, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        var plan = await PlanAsync(options, ct).ConfigureAwait(false);
        return await InstallAsync(plan, options, progress, ct).ConfigureAwait(false);
    }

    /// <summary>Downloads, verifies (size, and sha256 where known) and installs the files of <paramref name="plan"/>.</summary>
    /// <exception cref="ModelDownloadException">A file cannot be fetched after <see cref="PullOptions.MaxAttempts"/>, or fails
    /// its size or hash check; nothing is installed then.</exception>
    /// <exception cref="ModelSourceException">The disk lacks the space the plan needs (checked before the first byte).</exception>
    public async Task<PullResult> InstallAsync(DownloadPlan plan, PullOptions options, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(options);
        var directory = Path.GetFullPath(options.Directory);
        var staging = Path.Combine(directory, StagingFolder);
        Directory.CreateDirectory(staging);
        PullResult result;
        using (AcquirePullLock(staging, options.Directory))
        {
            result = await InstallLockedAsync(plan, options, directory, staging, progress, ct).ConfigureAwait(false);
        }
        TryDeleteEmpty(staging);
        return result;
    }

    private async Task<PullResult> InstallLockedAsync(DownloadPlan plan, PullOptions options, string directory, string staging, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        var installed = BundleManifest.TryRead(directory);
        var files = plan.Files;
        var current = new Dictionary<string, BundleManifestFile>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            if (await TryKeepInstalledAsync(directory, installed, file.Name, file.Sha256, file.Size, ct).ConfigureAwait(false) is { } kept)
            {
                current[file.Name] = kept;
            }
        }
        CheckSpace(directory, staging, files.Where(f => !current.ContainsKey(f.Name)).ToList());

        var entries = new List<BundleManifestFile>();
        var downloaded = new List<string>();
        string? tokenizerJson = null;
        for (var i = 0; i < files.Count; i++)
        {
            var file = files[i];
            var context = new FileContext(file.Name, i + 1, files.Count, file.Url, progress);
            BundleManifestFile entry;
            if (current.TryGetValue(file.Name, out var kept))
            {
                context.Report(DownloadStage.UpToDate, kept.Size, kept.Size, 0);
                entry = kept;
                if (file.DerivesVocabulary)
                {
                    tokenizerJson = Path.Combine(directory, file.Name);
                }
            }
            else
            {
                var staged = Path.Combine(staging, file.Name);
                entry = await FetchVerifiedAsync(file, context, staged, options, ct).ConfigureAwait(false);
                downloaded.Add(file.Name);
                if (file.DerivesVocabulary)
                {
                    tokenizerJson = staged;
                }
            }
            entries.Add(entry with { Role = file.Role, Variant = file.Variant });
        }

        if (tokenizerJson is not null)
        {
            entries.Add(await DeriveVocabularyAsync(tokenizerJson, staging, files.Count, progress, ct).ConfigureAwait(false));
        }
        Install(directory, staging, plan.PreferredVariant, entries, installed);
        return new PullResult(directory, plan, entries, downloaded);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsClient)
        {
            _http.Dispose();
        }
    }

    // A file staged by an earlier, unfinished pull is reused when it still verifies; otherwise it is fetched again.
    private async Task<BundleManifestFile> FetchVerifiedAsync(PlannedFile file, FileContext context, string staged, PullOptions options, CancellationToken ct)
    {
        if (File.Exists(staged))
        {
            var (size, sha, problem) = await VerifyAsync(file, staged, context, ct).ConfigureAwait(false);
            if (problem is null)
            {
                context.Report(DownloadStage.Completed, size, size, 0);
                return new BundleManifestFile(file.Name, size, sha);
            }
            File.Delete(staged);
        }

        var partial = staged + PartialSuffix;
        ForgetPartialOfOtherFile(partial, file);
        await TransferWithRetriesAsync(context, partial, file.Size, options, ct).ConfigureAwait(false);
        File.Move(partial, staged, overwrite: true);
        File.Delete(partial + ExpectSuffix);
        var (length, hash, mismatch) = await VerifyAsync(file, staged, context, ct).ConfigureAwait(false);
        if (mismatch is not null)
        {
            File.Delete(staged);
            throw new ModelDownloadException(file.Name, file.Url, $"{mismatch}; the download was discarded and nothing was installed");
        }
        context.Report(DownloadStage.Completed, length, length, 0);
        return new BundleManifestFile(file.Name, length, hash);
    }

    private static async Task<(long Size, string Sha256, string? Problem)> VerifyAsync(PlannedFile file, string path, FileContext context, CancellationToken ct)
    {
        var size = new FileInfo(path).Length;
        if (file.Size is { } expected && size != expected)
        {
            return (size, "", $"{file.Name}: {size} bytes arrived, the source lists {expected}");
        }
        context.Report(DownloadStage.Verifying, size, size, 0);
        var sha = await FileHashing.Sha256Async(path, ct).ConfigureAwait(false);
        if (file.Sha256 is not null && !FileHashing.Matches(file.Sha256, sha))
        {
            return (size, sha, $"{file.Name}: sha256 {sha} does not match the digest the source lists, {file.Sha256}");
        }
        return (size, sha, null);
    }

    // A partial transfer is resumed only for the same file: the source's size and digest are written beside it.
    private static void ForgetPartialOfOtherFile(string partial, PlannedFile file)
    {
        var expectPath = partial + ExpectSuffix;
        var expect = $"{file.Size} {file.Sha256} {file.Url}";
        if (File.Exists(partial) && (!File.Exists(expectPath) || File.ReadAllText(expectPath) != expect))
        {
            File.Delete(partial);
        }
        File.WriteAllText(expectPath, expect);
    }

    private static void CheckSpace(string directory, string staging, List<PlannedFile> toFetch)
    {
        var needed = toFetch.Sum(f => Math.Max(0, (f.Size ?? 0) - BytesOf(Path.Combine(staging, f.Name + PartialSuffix)) - BytesOf(Path.Combine(staging, f.Name))));
        long free;
        try
        {
            free = new DriveInfo(directory).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return; // unknown: the transfer itself will report a full disk
        }
        if (needed > free)
        {
            throw new ModelSourceException(ModelSourceProblem.NotEnoughSpace,
                $"the planned files need {TerminalDownloadProgress.Bytes(needed)} more in {directory}, which has {TerminalDownloadProgress.Bytes(free)} free");
        }
    }

    // The usls release ships a Hugging Face tokenizer.json instead of the CLIP merges file; the merges file is
    // recovered from it (and checked against its vocabulary, TokenizerJsonMerges) into the staging folder.
    private static Task<BundleManifestFile> DeriveVocabularyAsync(string tokenizerJson, string staging, int count, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        var target = Path.Combine(staging, BundleFiles.Vocabulary);
        try
        {
            var merges = TokenizerJsonMerges.WriteMergesFile(tokenizerJson, target);
            var size = new FileInfo(target).Length;
            progress?.Report(new DownloadProgress(BundleFiles.Vocabulary, count, count, DownloadStage.Completed, size, size, 0, $"derived from {Path.GetFileName(tokenizerJson)} ({merges} merges)"));
        }
        catch (InvalidDataException e)
        {
            throw new ModelDownloadException(Path.GetFileName(tokenizerJson), null,
                $"{Path.GetFileName(tokenizerJson)} cannot stand in for {BundleFiles.Vocabulary}: {e.Message}; nothing was installed", inner: e);
        }
        return HashEntryAsync(target, ct);

        static async Task<BundleManifestFile> HashEntryAsync(string path, CancellationToken ct) =>
            new(Path.GetFileName(path), new FileInfo(path).Length, await FileHashing.Sha256Async(path, ct).ConfigureAwait(false)) { Role = BundleRole.VocabularyId };
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
        // Entries of other variants or files outside this pull stay recorded while their files exist, without a role
        // (the roles belong to this pull's files); a test fixture's entries do not describe real models and are dropped.
        var kept = previous is { Fixture: true } ? [] : previous?.Files
            .Where(f => entries.All(e => e.Name != f.Name) && File.Exists(Path.Combine(directory, f.Name)))
            .Select(f => f with { Role = null })
            ?? [];
        ManifestJson.Write(new BundleManifest { Variant = variant, Files = [.. entries, .. kept] }, directory);
    }

    private static async Task<BundleManifestFile?> TryKeepInstalledAsync(string directory, BundleManifest? installed, string name, string? pin, long? size, CancellationToken ct)
    {
        var recorded = installed?.Find(name);
        var path = Path.Combine(directory, name);
        if (recorded is null || !File.Exists(path) || new FileInfo(path).Length != recorded.Size || (size is { } s && s != recorded.Size))
        {
            return null;
        }
        if (pin is not null && !FileHashing.Matches(pin, recorded.Sha256))
        {
            return null;
        }
        var sha = await FileHashing.Sha256Async(path, ct).ConfigureAwait(false);
        return FileHashing.Matches(recorded.Sha256, sha) ? new BundleManifestFile(name, recorded.Size, sha) : null;
    }

    private async Task TransferWithRetriesAsync(FileContext context, string partialPath, long? expectedSize, PullOptions options, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await TransferOnceAsync(context, partialPath, expectedSize, options, ct).ConfigureAwait(false);
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

    private async Task TransferOnceAsync(FileContext context, string partialPath, long? expectedSize, PullOptions options, CancellationToken ct)
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
        if (expectedSize is { } listed && total is { } announced && announced != listed)
        {
            File.Delete(partialPath);
            throw new ModelDownloadException(context.Name, context.Url,
                $"{context.Name}: the download host announces {announced} bytes, the source lists {listed}; nothing was installed");
        }
        total ??= expectedSize;

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
