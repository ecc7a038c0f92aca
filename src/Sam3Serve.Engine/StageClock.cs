using System.Diagnostics;

namespace Sam3Serve.Engine;

/// <summary>Accumulates seconds per engine stage for one request.</summary>
internal sealed class StageClock
{
    public const string Preprocess = "preprocess";
    public const string Encoder = "encoder";
    /// <summary>A neck on the shared trunk's cached output (the trunk itself counts as <see cref="Encoder"/>).</summary>
    public const string Neck = "neck";
    public const string Text = "text";
    public const string Decoder = "decoder";
    public const string Postprocess = "postprocess";

    private readonly Dictionary<string, double> _seconds = new(StringComparer.Ordinal)
    {
        [Preprocess] = 0,
        [Encoder] = 0,
        [Neck] = 0,
        [Text] = 0,
        [Decoder] = 0,
        [Postprocess] = 0,
    };

    private readonly IProgress<string>? _progress;
    private string? _reported;
    private string? _pass;

    public StageClock(IProgress<string>? progress = null) => _progress = progress;

    public IReadOnlyDictionary<string, double> Seconds => _seconds;

    /// <summary>The name users see for a stage (the <c>stage</c> of a /v2 status body).</summary>
    public static string PublicName(string stage) => stage switch
    {
        Preprocess => "preprocessing",
        Encoder or Neck => "image encoder",
        Text => "text encoder",
        Decoder => "decoder",
        Postprocess => "postprocessing",
        _ => stage,
    };

    /// <summary>Seconds spent in the models (encoders, text encoder, decoders).</summary>
    public double ModelSeconds => _seconds[Encoder] + _seconds[Neck] + _seconds[Text] + _seconds[Decoder];

    public T Measure<T>(string stage, Func<T> work)
    {
        Report(stage);
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
        Report(stage);
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

    /// <summary>
    /// Starts a pass of a tiled request (e.g. "tile 3 of 12"), reported at once and then before each stage name
    /// ("tile 3 of 12: image encoder"); null returns to plain stage names.
    /// </summary>
    public void BeginPass(string? pass)
    {
        _pass = pass;
        if (_progress is not null && pass is not null)
        {
            _reported = pass;
            _progress.Report(pass);
        }
    }

    /// <summary>Tells the progress listener that <paramref name="stage"/> starts (once per change of stage).</summary>
    public void Report(string stage)
    {
        if (_progress is null)
        {
            return;
        }
        var text = _pass is null ? PublicName(stage) : $"{_pass}: {PublicName(stage)}";
        if (text == _reported)
        {
            return;
        }
        _reported = text;
        _progress.Report(text);
    }

    public void Add(string stage, double seconds) => _seconds[stage] = _seconds.GetValueOrDefault(stage) + seconds;
}
