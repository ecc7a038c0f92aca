namespace Sam3Serve.Engine;

/// <summary>How often each model ran and how often a cache answered instead; reset after warm-up.</summary>
public sealed class EngineCounters
{
    private long _trunkPasses;
    private long _visionEncoderRuns;
    private long _trackerEncoderRuns;
    private long _textEncoderRuns;
    private long _decoderRuns;
    private long _trackerDecoderRuns;
    private long _imageCacheHits;
    private long _textCacheHits;

    /// <summary>
    /// ViT trunk passes: runs of the shared trunk when the encoders share it, else runs of either whole encoder.
    /// </summary>
    public long TrunkPasses => Volatile.Read(ref _trunkPasses);
    /// <summary>Detector (concept) image features computed (whole encoder or detector neck runs).</summary>
    public long VisionEncoderRuns => Volatile.Read(ref _visionEncoderRuns);
    /// <summary>Tracker image features computed (whole encoder or tracker neck runs).</summary>
    public long TrackerEncoderRuns => Volatile.Read(ref _trackerEncoderRuns);
    /// <summary>Text encoder runs.</summary>
    public long TextEncoderRuns => Volatile.Read(ref _textEncoderRuns);
    /// <summary>Concept decoder runs (one per prompt per image).</summary>
    public long DecoderRuns => Volatile.Read(ref _decoderRuns);
    /// <summary>Tracker decoder runs.</summary>
    public long TrackerDecoderRuns => Volatile.Read(ref _trackerDecoderRuns);
    /// <summary>Image-feature cache hits (either encoder).</summary>
    public long ImageCacheHits => Volatile.Read(ref _imageCacheHits);
    /// <summary>Text-feature cache hits.</summary>
    public long TextCacheHits => Volatile.Read(ref _textCacheHits);

    internal void TrunkPassed() => Interlocked.Increment(ref _trunkPasses);
    internal void VisionEncoderRan() => Interlocked.Increment(ref _visionEncoderRuns);
    internal void TrackerEncoderRan() => Interlocked.Increment(ref _trackerEncoderRuns);
    internal void TextEncoderRan() => Interlocked.Increment(ref _textEncoderRuns);
    internal void DecoderRan() => Interlocked.Increment(ref _decoderRuns);
    internal void TrackerDecoderRan() => Interlocked.Increment(ref _trackerDecoderRuns);
    internal void ImageCacheHit() => Interlocked.Increment(ref _imageCacheHits);
    internal void TextCacheHit() => Interlocked.Increment(ref _textCacheHits);

    internal void Reset()
    {
        Interlocked.Exchange(ref _trunkPasses, 0);
        Interlocked.Exchange(ref _visionEncoderRuns, 0);
        Interlocked.Exchange(ref _trackerEncoderRuns, 0);
        Interlocked.Exchange(ref _textEncoderRuns, 0);
        Interlocked.Exchange(ref _decoderRuns, 0);
        Interlocked.Exchange(ref _trackerDecoderRuns, 0);
        Interlocked.Exchange(ref _imageCacheHits, 0);
        Interlocked.Exchange(ref _textCacheHits, 0);
    }
}
