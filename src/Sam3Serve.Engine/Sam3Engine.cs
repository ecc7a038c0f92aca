using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Engine.Automatic;
using Sam3Serve.Engine.Bundle;
using Sam3Serve.Engine.Caching;
using Sam3Serve.Engine.Concept;
using Sam3Serve.Engine.Features;
using Sam3Serve.Engine.Interactive;
using Sam3Serve.Engine.Onnx;
using Sam3Serve.Engine.Postprocessing;
using Sam3Serve.Engine.Tiling;

namespace Sam3Serve.Engine;

/// <summary>
/// SAM 3 on ONNX Runtime: concept (text / box exemplars), interactive (points / boxes) and automatic modes over
/// one model bundle. Thread-safe once initialised; image and text features are cached in byte-bounded LRUs.
/// </summary>
public sealed partial class Sam3Engine : ISegmentationEngine, IDisposable
{
    private readonly EngineOptions _options;
    private readonly ILogger<Sam3Engine> _logger;
    private readonly ByteLruCache<string> _imageCache;
    private readonly ByteLruCache<string> _textCache;
    private readonly List<OnnxModel> _models = [];
    private readonly SemaphoreSlim _initLock = new(1, 1);
    private ConceptRunner? _concept;
    private InteractiveRunner? _interactive;
    private AutomaticRunner? _automatic;
    private volatile bool _ready;
    private int _firstRequestLogged;
    private ModelRunGate? _gate;
    private readonly SingleFlight _requestFlights = new();
    private ModelThreads? _threads;
    private volatile bool _disposed;

    /// <summary>Creates an engine; nothing is loaded until <see cref="InitializeAsync"/>.</summary>
    public Sam3Engine(EngineOptions options, ILogger<Sam3Engine>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger ?? NullLogger<Sam3Engine>.Instance;
        _imageCache = new ByteLruCache<string>(options.ImageCacheBytes);
        _textCache = new ByteLruCache<string>(options.TextCacheBytes);
    }

    /// <inheritdoc />
    public bool IsReady => _ready;

    /// <summary>The interactive path once loaded (for tests that compare prompt forms on real features).</summary>
    internal InteractiveRunner? Interactive => _interactive;

    /// <summary>The automatic path once loaded.</summary>
    internal AutomaticRunner? Automatic => _automatic;

    /// <summary>Model runs and cache hits since warm-up.</summary>
    public EngineCounters Counters { get; } = new();

    /// <summary>The resolved bundle (after initialisation).</summary>
    public ModelBundle? Bundle { get; private set; }

    /// <summary>Encoder input size of the concept path (width, height), read from the file; null without concept files.</summary>
    public (int Width, int Height)? ConceptInputSize { get; private set; }

    /// <summary>Encoder input size of the tracker path (width, height), read from the file; null without tracker files.</summary>
    public (int Width, int Height)? TrackerInputSize { get; private set; }

    /// <inheritdoc />
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _initLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_ready)
            {
                return;
            }
            // One thread more than the model runs admitted at once: one request's pre- and post-processing overlaps
            // another's model run, and requests beyond that wait for a thread asynchronously.
            _threads ??= new ModelThreads((_options.ConcurrentRuns > 0 ? _options.ConcurrentRuns : 1) + 1);
            try
            {
                await Task.Run(() => Load(cancellationToken), cancellationToken).ConfigureAwait(false);
                if (_options.WarmUp || _options.SelfCheck)
                {
                    await Task.Run(() => WarmUp(_options.SelfCheck, cancellationToken), cancellationToken).ConfigureAwait(false);
                }
            }
            catch
            {
                Unload();
                throw;
            }
            _imageCache.Clear();
            _textCache.Clear();
            Counters.Reset();
            Interlocked.Exchange(ref _firstRequestLogged, 0);
            _ready = true;
        }
        finally
        {
            _initLock.Release();
        }
    }

    /// <inheritdoc />
    public ValueTask<SegmentationResult> SegmentAsync(SegmentationRequest request, RgbImage image, CancellationToken cancellationToken) =>
        SegmentAsync(request, image, null, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// The work runs on the engine's own threads, never on the caller's: waiting for a thread, and for another request
    /// computing the same new image's features, is asynchronous. A disposed engine refuses new requests.
    /// </remarks>
    public async ValueTask<SegmentationResult> SegmentAsync(SegmentationRequest request, RgbImage image, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(image);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_ready)
        {
            throw new InvalidOperationException("the engine is not initialised");
        }
        var clock = new StageClock(progress);
        var key = clock.Measure(StageClock.Preprocess, () => ImageKey.For(image, request.ImageId));
        using (await _requestFlights.EnterAsync(key, cancellationToken).ConfigureAwait(false))
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return await _threads!.RunAsync(() => Segment(request, image, key, clock, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Refuses new requests, waits for the ones already running on the engine's threads, then unloads the models.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _ready = false;
        _threads?.Dispose();
        Unload();
        _initLock.Dispose();
    }

    private void Unload()
    {
        _concept = null;
        _interactive = null;
        _automatic = null;
        _imageCache.Clear();
        _textCache.Clear();
        foreach (var model in _models)
        {
            model.Dispose();
        }
        _models.Clear();
        _gate?.Dispose();
        _gate = null;
    }

    private SegmentationResult Segment(SegmentationRequest request, RgbImage image, string key, StageClock clock, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var passes = 1;
        var objects = request.Mode switch
        {
            SegmentationMode.Concept when request.Tiles is not null => RunTiled(Require(_concept, request.Mode), request, image, key, clock, out passes, cancellationToken),
            SegmentationMode.Concept => Require(_concept, request.Mode).Run(request, image, key, clock, cancellationToken),
            SegmentationMode.Interactive => Require(_interactive, request.Mode).Run(request, image, key, clock, cancellationToken),
            SegmentationMode.Automatic when request.Tiles is not null => RunCropped(Require(_automatic, request.Mode), request, image, key, clock, out passes, cancellationToken),
            SegmentationMode.Automatic => Require(_automatic, request.Mode).Run(request, image, key, clock, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(request), request.Mode, "unknown mode"),
        };
        var capped = ScoreMath.TopInOrder(objects.Select(o => o.Score).ToList(), request.MaxMasks).Select(i => objects[i]).ToList();
        if (Interlocked.Exchange(ref _firstRequestLogged, 1) == 0)
        {
            // The encoders are not warmed up (a minute each on a CPU): the first request is where their cost shows.
            LogFirstRequest(request.Mode.ToString(), string.Join(", ", clock.Seconds.Select(kv => $"{StageClock.PublicName(kv.Key)} {kv.Value:F2} s")), Counters.TrunkPasses);
        }
        return new SegmentationResult
        {
            Objects = capped,
            StageSeconds = new Dictionary<string, double>(clock.Seconds),
            InferenceSeconds = clock.ModelSeconds,
            ImagePasses = passes,
        };
    }

    private static List<DetectedObject> RunCropped(AutomaticRunner automatic, SegmentationRequest request, RgbImage image, string key, StageClock clock, out int passes, CancellationToken cancellationToken)
    {
        (var objects, passes) = automatic.RunWithCrops(request, image, key, clock, cancellationToken);
        return objects;
    }

    private static List<DetectedObject> RunTiled(ConceptRunner concept, SegmentationRequest request, RgbImage image, string key, StageClock clock, out int passes, CancellationToken cancellationToken)
    {
        (var objects, passes) = TiledConceptRunner.Run(concept, request, image, key, clock, cancellationToken);
        return objects;
    }

    private T Require<T>(T? runner, SegmentationMode mode)
        where T : class =>
        runner ?? throw new ModeUnavailableException(mode, ModeUnavailableMessage.For(mode, Bundle?.Missing ?? []));

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Model bundle {Location} is the Sam3Serve TEST FIXTURE (colour-rule graphs), not SAM 3: results are synthetic")]
    private partial void LogFixture(string location);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Model bundle {Directory}: variant {Variant}, concept layout {Layout}, tracker {HasTracker}, provider {Provider}")]
    private partial void LogBundle(string directory, string variant, string layout, bool hasTracker, string provider);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "Loaded {File}: inputs {Inputs}; outputs {Outputs}")]
    private partial void LogModel(string file, string inputs, string outputs);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Warm-up done in {Seconds:F3} s of model time ({What})")]
    private partial void LogWarmUp(double seconds, string what);

    [LoggerMessage(EventId = 16, Level = LogLevel.Information, Message = "Self-check: every decoder gave the same answer twice in each of the {Forms} prompt forms the engine sends")]
    private partial void LogSelfCheck(int forms);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "First request ({Mode}) per stage: {Stages}; trunk passes {TrunkPasses}")]
    private partial void LogFirstRequest(string mode, string stages, long trunkPasses);
}
