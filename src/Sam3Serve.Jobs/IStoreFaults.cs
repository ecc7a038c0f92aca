namespace Sam3Serve.Jobs;

/// <summary>
/// Tells a store backend's transient failures (the store restarting or cut off) from everything else, so that callers
/// answer "unavailable, retry" without naming a backend's exception types. Each backend registers its own.
/// </summary>
public interface IStoreFaults
{
    /// <summary>True when <paramref name="exception"/> (or one it wraps) means the store is briefly unreachable.</summary>
    bool IsUnavailable(Exception exception);
}

/// <summary>A store with no transient failures of its own (an embedded database): every failure is a fault.</summary>
public sealed class NoTransientStoreFaults : IStoreFaults
{
    /// <summary>The one instance.</summary>
    public static NoTransientStoreFaults Instance { get; } = new();

    /// <inheritdoc />
    public bool IsUnavailable(Exception exception) => false;
}
