using System.Globalization;
using Sam3Serve.Engine.Bundle;
using Sam3Serve.Engine.Onnx.Optimization;

namespace Sam3Serve.Models;

/// <summary>Where an optimization is: file <see cref="FileIndex"/> of <see cref="FileCount"/>, MatMul <see cref="Done"/> of <see cref="Total"/>.</summary>
/// <param name="File">The source graph's file name.</param>
/// <param name="FileIndex">1-based position of the file.</param>
/// <param name="FileCount">Files to look at.</param>
/// <param name="Done">MatMuls quantized so far in this file.</param>
/// <param name="Total">MatMuls to quantize in this file (0 before they are counted, or when there are none).</param>
/// <param name="Finished">The file is done (written, or left as it is).</param>
public sealed record OptimizationProgress(string File, int FileIndex, int FileCount, int Done, int Total, bool Finished);

/// <summary>What <see cref="BundleOptimizer.OptimizeAsync"/> did.</summary>
/// <param name="Directory">The bundle folder.</param>
/// <param name="BaseVariant">The variant the CPU form was made from (served again by <c>--variant</c> with this name).</param>
/// <param name="Graphs">One report per graph looked at; those with a null destination are served as they are.</param>
public sealed record BundleOptimizationResult(string Directory, string BaseVariant, IReadOnlyList<GraphOptimizationReport> Graphs);

/// <summary>
/// <c>sam3serve models optimize</c>: writes the CPU form (<see cref="CpuGraphOptimizer"/>, variant
/// <see cref="CpuGraphOptimizer.Variant"/>) of every graph the bundle serves beside the originals, and records it in
/// <c>manifest.json</c>: the new files with their role, <c>variant</c> "int8" and <c>base_variant</c> the variant it
/// was made from. The originals stay, so <c>--variant &lt;base&gt;</c> serves the exact graphs. Vision encoders get
/// both rewrites; the other graphs only the int8 MatMuls (in SAM 3 only the text encoder has MatMuls that large).
/// </summary>
public static class BundleOptimizer
{
    /// <summary>Optimizes the bundle in <paramref name="directory"/>; a second run rebuilds the CPU form from the base files.</summary>
    public static async Task<BundleOptimizationResult> OptimizeAsync(string directory, IProgress<OptimizationProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var dir = Path.GetFullPath(directory);
        var manifest = BundleManifest.TryRead(dir);
        var alreadyOptimized = manifest is { Variant: CpuGraphOptimizer.Variant, BaseVariant: not null };
        var bundle = ModelBundle.Open(dir, alreadyOptimized ? manifest!.BaseVariant : null);
        var baseVariant = alreadyOptimized ? manifest!.BaseVariant! : bundle.Variant;
        if (baseVariant == CpuGraphOptimizer.Variant)
        {
            throw new InvalidDataException($"{dir} serves files named '{CpuGraphOptimizer.Variant}' without a manifest that says what they were made from; optimize a bundle of another variant");
        }

        var sources = new List<(BundleRole Role, string Path)>();
        void Add(BundleRole role, string? path)
        {
            if (path is not null)
            {
                sources.Add((role, path));
            }
        }
        if (bundle.Concept is { Layout: ConceptLayout.V2 } concept)
        {
            Add(BundleRole.VisionEncoder, concept.VisionEncoder);
            Add(BundleRole.TextEncoder, concept.TextEncoder);
            Add(BundleRole.Decoder, concept.Decoder);
        }
        else if (bundle.Concept is { } v1)
        {
            // The v1 set has no roles for its decoders; its two encoders are the ones worth optimizing anyway.
            Add(BundleRole.VisionEncoder, v1.VisionEncoder);
            Add(BundleRole.TextEncoder, v1.TextEncoder);
        }
        Add(BundleRole.TrackerVisionEncoder, bundle.Tracker?.VisionEncoder);
        Add(BundleRole.TrackerDecoder, bundle.Tracker?.Decoder);

        var reports = new List<GraphOptimizationReport>();
        for (var i = 0; i < sources.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (role, source) = sources[i];
            var name = Path.GetFileName(source);
            var index = i + 1;
            progress?.Report(new OptimizationProgress(name, index, sources.Count, 0, 0, false));
            var what = role == BundleRole.VisionEncoder || role == BundleRole.TrackerVisionEncoder
                ? CpuOptimization.Full
                : new CpuOptimization(Attention: false, QuantizeMatMuls: true);
            var destination = Path.Combine(dir, role.FileFor(CpuGraphOptimizer.Variant));
            var matMuls = progress is null ? null : new MatMulProgress(progress, name, index, sources.Count);
            var report = await Task.Run(() => CpuGraphOptimizer.Optimize(source, destination, what, matMuls), cancellationToken).ConfigureAwait(false);
            if (report.Destination is null)
            {
                // A stale CPU form of this role (an earlier run on other files) must not be served.
                File.Delete(destination);
                File.Delete(destination + ".data");
            }
            reports.Add(report);
            progress?.Report(new OptimizationProgress(name, index, sources.Count, report.QuantizedMatMuls, report.QuantizedMatMuls, true));
        }
        // With nothing rewritten there is no CPU form to record; an earlier one (already removed above) is forgotten.
        if (reports.Any(r => r.Destination is not null) || alreadyOptimized)
        {
            await WriteManifestAsync(dir, manifest, bundle, baseVariant, sources, reports, cancellationToken).ConfigureAwait(false);
        }
        return new BundleOptimizationResult(dir, baseVariant, reports);
    }

    private static async Task WriteManifestAsync(string dir, BundleManifest? manifest, ModelBundle bundle, string baseVariant,
        List<(BundleRole Role, string Path)> sources, List<GraphOptimizationReport> reports, CancellationToken cancellationToken)
    {
        // Earlier CPU-form entries go; the base files get their role and variant recorded so --variant <base> finds them.
        var files = (manifest?.Files ?? []).Where(f => f.Variant != CpuGraphOptimizer.Variant).ToList();
        foreach (var (role, path) in sources)
        {
            var name = Path.GetFileName(path);
            var variant = bundle.FileVariants.GetValueOrDefault(name, baseVariant);
            var at = files.FindIndex(f => f.Name == name);
            if (at >= 0)
            {
                files[at] = files[at] with { Role = files[at].Role ?? role.Id, Variant = files[at].Variant ?? variant };
            }
            else
            {
                files.Add(await EntryAsync(path, role.Id, variant, cancellationToken).ConfigureAwait(false));
            }
        }
        if (!files.Any(f => f.Role == BundleRole.VocabularyId) && files.FindIndex(f => f.Name == BundleFiles.Vocabulary) is var v and >= 0)
        {
            files[v] = files[v] with { Role = BundleRole.VocabularyId };
        }
        for (var i = 0; i < reports.Count; i++)
        {
            if (reports[i].Destination is not { } written)
            {
                continue;
            }
            files.Add(await EntryAsync(written, sources[i].Role.Id, CpuGraphOptimizer.Variant, cancellationToken).ConfigureAwait(false));
            if (File.Exists(written + ".data"))
            {
                files.Add(await EntryAsync(written + ".data", null, CpuGraphOptimizer.Variant, cancellationToken).ConfigureAwait(false));
            }
        }
        var any = reports.Any(r => r.Destination is not null);
        var updated = new BundleManifest
        {
            Variant = any ? CpuGraphOptimizer.Variant : baseVariant,
            BaseVariant = any ? baseVariant : null,
            Fixture = manifest?.Fixture ?? false,
            Files = files,
        };
        ManifestJson.Write(updated, dir);
    }

    private static async Task<BundleManifestFile> EntryAsync(string path, string? role, string variant, CancellationToken cancellationToken) =>
        new(Path.GetFileName(path), new FileInfo(path).Length, await FileHashing.Sha256Async(path, cancellationToken).ConfigureAwait(false))
        {
            Role = role,
            Variant = variant,
        };

    /// <summary>Reports on the optimizer's thread (Progress&lt;T&gt; would post to the pool and could reorder the bar).</summary>
    private sealed class MatMulProgress(IProgress<OptimizationProgress> outer, string file, int index, int count) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => outer.Report(new OptimizationProgress(file, index, count, value.Done, value.Total, false));
    }

    /// <summary>Text for one snapshot: "[3/5] vision-encoder.onnx  120/192 MatMuls".</summary>
    public static string Format(OptimizationProgress p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var head = string.Create(CultureInfo.InvariantCulture, $"[{p.FileIndex}/{p.FileCount}] {p.File}");
        if (p.Total <= 0)
        {
            return p.Finished ? head + "  left as it is" : head + "  reading";
        }
        const int width = 24;
        var filled = (int)((long)p.Done * width / p.Total);
        return string.Create(CultureInfo.InvariantCulture, $"{head}  [{new string('#', filled)}{new string('.', width - filled)}] {p.Done}/{p.Total} MatMuls int8");
    }
}
