using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Sam3Serve.Engine.Automatic;
using Sam3Serve.Engine.Bundle;
using Sam3Serve.Engine.Concept;
using Sam3Serve.Engine.Features;
using Sam3Serve.Engine.Interactive;
using Sam3Serve.Engine.Onnx;
using Sam3Serve.Engine.Onnx.Optimization;
using Sam3Serve.Engine.Onnx.TrunkSharing;
using Sam3Serve.Engine.Text;

namespace Sam3Serve.Engine;

// Loading: the bundle's files become sessions; when the two vision encoders share their trunk, three sessions
// (trunk, detector neck, tracker neck) replace the two encoder files.
public sealed partial class Sam3Engine
{
    /// <summary>What the trunk comparison found at load (null before loading or without both encoders).</summary>
    public SharingStatistics? TrunkSharing { get; private set; }

    /// <summary>True when one trunk pass per image serves both paths.</summary>
    public bool SharesTrunk { get; private set; }

    private void Load(CancellationToken cancellationToken)
    {
        NativeHeap.Configure();
        if (_options.ReleaseMemoryAfterRuns && !NativeHeap.IsTuned && OperatingSystem.IsLinux())
        {
            LogHeapNotTuned();
        }
        _gate = new ModelRunGate(_options.ConcurrentRuns > 0 ? _options.ConcurrentRuns : 1);
        var bundle = ModelBundle.Open(_options.ModelDir, _options.Variant ?? VariantForProvider(_options));
        Bundle = bundle;
        if (bundle.IsFixture)
        {
            LogFixture(bundle.Directory);
        }
        LogBundle(bundle.Directory, bundle.Variant, bundle.Concept?.Layout.ToString() ?? "none", bundle.Tracker is not null, _options.ExecutionProvider);
        var gpu = SessionOptionsFactory.IsGpu(_options.ExecutionProvider);

        OnnxModel? conceptDecoder = null, geometry = null;
        IReadOnlySet<string>? consumed = null;
        if (bundle.Concept is { } c)
        {
            conceptDecoder = LoadModel(c.Decoder, cancellationToken);
            geometry = c.GeometryEncoder is { } g ? LoadModel(g, cancellationToken) : null;
            // Outputs are matched by name; the old 8-output vision encoder's unused levels are not kept.
            consumed = conceptDecoder.Inputs.Concat(geometry?.Inputs ?? []).Select(i => i.Name is "fpn_feat" or "fpn_pos" ? i.Name + "_2" : i.Name).ToHashSet(StringComparer.Ordinal);
        }
        var (detectorFeatures, trackerFeatures) = LoadImageEncoders(bundle, consumed, cancellationToken);
        if (bundle.Concept is { } concept)
        {
            var text = LoadModel(concept.TextEncoder, cancellationToken);
            var decoder = conceptDecoder!;
            var tokenizer = ClipTokenizer.FromMergesFile(bundle.Vocabulary);
            // v1 concatenates text and geometry tokens on the host, so its text features stay there.
            var textEncoder = new TextFeatureEncoder(text, tokenizer, _textCache, Counters, keepOnDevice: gpu && concept.Layout == ConceptLayout.V2);
            _concept = new ConceptRunner(concept.Layout, detectorFeatures!, textEncoder, decoder, geometry, Counters);
            ConceptInputSize = (detectorFeatures!.InputWidth, detectorFeatures.InputHeight);
        }
        if (bundle.Tracker is { } tracker)
        {
            var decoderModel = LoadTrackerDecoder(tracker.Decoder, cancellationToken);
            var decoder = new TrackerDecoder(decoderModel, Counters);
            var objectBatch = _options.DecoderObjectBatch > 0 ? _options.DecoderObjectBatch : TrackerDecoder.DefaultObjectBatch;
            _interactive = new InteractiveRunner(trackerFeatures!, decoder, objectBatch);
            _automatic = new AutomaticRunner(trackerFeatures!, decoder, objectBatch);
            TrackerInputSize = (trackerFeatures!.InputWidth, trackerFeatures.InputHeight);
        }
    }

    /// <summary>
    /// The CPU form a bundle records (<c>models optimize</c>) uses CPU-only kernels (DynamicQuantizeMatMul), so a GPU
    /// provider serves the variant it was made from; null lets the bundle decide.
    /// </summary>
    private static string? VariantForProvider(EngineOptions options) =>
        SessionOptionsFactory.IsGpu(options.ExecutionProvider) && BundleManifest.TryRead(options.ModelDir) is { Variant: CpuGraphOptimizer.Variant, BaseVariant: { } baseVariant }
            ? baseVariant
            : null;

    private (IImageFeatureSource? Detector, IImageFeatureSource? Tracker) LoadImageEncoders(ModelBundle bundle, IReadOnlySet<string>? detectorConsumed, CancellationToken cancellationToken)
    {
        if (bundle.Concept is { } concept && bundle.Tracker is { } tracker && _options.ShareTrunk)
        {
            var analysis = TrunkSplitter.Analyse(concept.VisionEncoder, tracker.VisionEncoder, useCache: true);
            TrunkSharing = analysis.Statistics;
            var s = analysis.Statistics;
            LogTrunkComparison(s.SharedInitializers, s.TrackerInitializers, s.SharedBytes / 1e6, s.TrackerBytes / 1e6, s.BytesHashed / 1e6, s.Elapsed.TotalSeconds);
            if (analysis.Split is { } split)
            {
                var shared = LoadSplit(split, detectorConsumed, cancellationToken);
                SharesTrunk = true;
                LogTrunkShared(s.TrackerNeckNodes, s.TrackerNodes, s.TrackerNeckBytes / 1e6);
                return shared;
            }
            LogTrunkNotShared(analysis.Reason ?? "unknown");
        }
        IImageFeatureSource? detector = null, trackerSource = null;
        if (bundle.Concept is { } c)
        {
            detector = new ImageEncoder(LoadModel(c.VisionEncoder, cancellationToken), _imageCache, "det:", RanWholeEncoder(Counters.VisionEncoderRan), Counters.ImageCacheHit, detectorConsumed);
        }
        if (bundle.Tracker is { } t)
        {
            trackerSource = new ImageEncoder(LoadModel(t.VisionEncoder, cancellationToken), _imageCache, "trk:", RanWholeEncoder(Counters.TrackerEncoderRan), Counters.ImageCacheHit);
        }
        return (detector, trackerSource);
    }

    private Action RanWholeEncoder(Action pathCounter) => () =>
    {
        Counters.TrunkPassed();
        pathCounter();
    };

    private (IImageFeatureSource Detector, IImageFeatureSource Tracker) LoadSplit(TrunkSplit split, IReadOnlySet<string>? detectorConsumed, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var trunkModel = Track(OnnxModel.Load(split.Trunk.ToByteArray(), "vision trunk (shared)", split.DetectorDirectory, _options, _gate));
        var trunk = new ImageEncoder(trunkModel, _imageCache, "trunk:", Counters.TrunkPassed, Counters.ImageCacheHit);
        var detectorNeck = Track(LoadNeck(split.DetectorNeck, trunkModel, split.DetectorDirectory, "detector neck"));
        var trackerNeck = Track(LoadNeck(split.TrackerNeck, trunkModel, split.TrackerDirectory, "tracker neck"));
        return (
            new NeckEncoder(trunk, detectorNeck, split.DetectorNeck.Inputs, _imageCache, "det:", Counters.VisionEncoderRan, Counters.ImageCacheHit, detectorConsumed),
            new NeckEncoder(trunk, trackerNeck, split.TrackerNeck.Inputs, _imageCache, "trk:", Counters.TrackerEncoderRan, Counters.ImageCacheHit));
    }

    private OnnxModel LoadNeck(NeckGraph neck, OnnxModel trunk, string dataDirectory, string name)
    {
        var bytes = neck.Serialize(name => ((int)trunk.Output(name).ElementType, trunk.Output(name).Shape.ToArray()));
        var model = OnnxModel.Load(bytes, name, dataDirectory, _options, _gate);
        LogModel(name, string.Join(", ", model.Inputs), string.Join(", ", model.Outputs));
        return model;
    }

    /// <summary>
    /// The tracker decoder with "no box" made well-formed (<see cref="EmptyBoxesRepair"/>); a graph without the
    /// point/box token concatenation loads as it is.
    /// </summary>
    private OnnxModel LoadTrackerDecoder(string path, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (repaired, description) = EmptyBoxesRepair.TryRepair(path);
        if (repaired is null)
        {
            LogTrackerDecoderAsIs(Path.GetFileName(path), description);
            return LoadModel(path, cancellationToken);
        }
        var model = Track(OnnxModel.Load(repaired, path, Path.GetDirectoryName(Path.GetFullPath(path))!, _options, _gate));
        LogTrackerDecoderRepaired(Path.GetFileName(path), description);
        LogModel(Path.GetFileName(path), string.Join(", ", model.Inputs), string.Join(", ", model.Outputs));
        return model;
    }

    private OnnxModel Track(OnnxModel model)
    {
        _models.Add(model);
        return model;
    }

    private OnnxModel LoadModel(string path, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var model = Track(OnnxModel.Load(path, _options, _gate));
        if (model.DocString.Contains(BundleManifest.FixtureDocString, StringComparison.Ordinal) && Bundle is { IsFixture: false })
        {
            LogFixture(path);
        }
        LogModel(Path.GetFileName(path), string.Join(", ", model.Inputs), string.Join(", ", model.Outputs));
        return model;
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Vision encoders compared: {Shared} of the tracker encoder's {Total} weight tensors ({SharedMb:F0} of {TotalMb:F0} MB) are byte-identical to the detector's; {HashedMb:F0} MB read in {Seconds:F1} s")]
    private partial void LogTrunkComparison(int shared, int total, double sharedMb, double totalMb, double hashedMb, double seconds);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Shared ViT trunk: one trunk pass per image feeds both paths; the tracker neck keeps {NeckNodes} of {Nodes} nodes and loads {NeckMb:F1} MB of its own weights")]
    private partial void LogTrunkShared(int neckNodes, int nodes, double neckMb);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Vision encoders loaded separately: {Reason}")]
    private partial void LogTrunkNotShared(string reason);

    [LoggerMessage(EventId = 14, Level = LogLevel.Information, Message = "{File}: zero boxes made a well-formed input: {Description}")]
    private partial void LogTrackerDecoderRepaired(string file, string description);

    [LoggerMessage(EventId = 15, Level = LogLevel.Information, Message = "{File} loaded as it is ({Reason})")]
    private partial void LogTrackerDecoderAsIs(string file, string reason);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Could not tune the C heap (not glibc?): freed model memory may stay with the process")]
    private partial void LogHeapNotTuned();
}
