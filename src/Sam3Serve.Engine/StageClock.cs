using System.Diagnostics;

namespace Sam3Serve.Engine;

/// <summary>Accumulates seconds per engine stage for one request.</summary>
internal sealed class StageClock
{
    public const string Preprocess = "preprocess";
    public const string Encoder = "encoder";
    public const string Text = "text";
    public const string Decoder = "decoder";
    public const string Postprocess = "postprocess";

    private readonly Dictionary<string, double> _seconds = new(StringComparer.Ordinal)
    {
        [Preprocess] = 0,
        [Encoder] = 0,
        [Text] = 0,
        [Decoder] = 0,
        [Postprocess] = 0,
    };

    public IReadOnlyDictionary<string, double> Seconds => _seconds;

    /// <summary>Seconds spent in the models (encoders, text encoder, decoders).</summary>
    public double ModelSeconds => _seconds[Encoder] + _seconds[Text] + _seconds[Decoder];

    public T Measure<T>(string stage, Func<T> work)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            return work();
        }
        finally
        {
            Add(stage, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }

    public void Measure(string stage, Action work)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            work();
        }
        finally
        {
            Add(stage, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }

    public void Add(string stage, double seconds) => _seconds[stage] = _seconds.GetValueOrDefault(stage) + seconds;
}
