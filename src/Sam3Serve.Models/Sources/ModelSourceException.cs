namespace Sam3Serve.Models.Sources;

/// <summary>Why a source could not be used; raised before any model file is downloaded.</summary>
public enum ModelSourceProblem
{
    /// <summary>No answer: no network, DNS failure, connection refused, timeout.</summary>
    Unreachable,
    /// <summary>GitHub's API rate limit is used up (403/429 with <c>x-ratelimit-remaining: 0</c>).</summary>
    RateLimited,
    /// <summary>The release, tag or mirror manifest does not exist.</summary>
    NotFound,
    /// <summary>The source refused the request (401, 403 other than the rate limit) or answered an error.</summary>
    Refused,
    /// <summary>The listing or manifest could not be read, or carries a malformed digest.</summary>
    Invalid,
    /// <summary>The source lacks a complete concept set (vision, text, decoder, tokenizer) in any usable variant.</summary>
    NoUsableConceptSet,
    /// <summary>The bundle folder's disk lacks the space the plan needs.</summary>
    NotEnoughSpace,
}

/// <summary>A source that cannot supply a bundle, with one message saying what was found.</summary>
public sealed class ModelSourceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelSourceException(ModelSourceProblem problem, string message, Exception? inner = null)
        : base(message, inner) => Problem = problem;

    /// <summary>What went wrong.</summary>
    public ModelSourceProblem Problem { get; }
}
