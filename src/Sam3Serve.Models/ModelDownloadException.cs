using System.Net;

namespace Sam3Serve.Models;

/// <summary>A model file could not be fetched or failed verification; nothing was installed.</summary>
public sealed class ModelDownloadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelDownloadException(string fileName, Uri? url, string message, HttpStatusCode? statusCode = null, Exception? inner = null)
        : base(message, inner)
    {
        FileName = fileName;
        Url = url;
        StatusCode = statusCode;
    }

    /// <summary>The file that failed.</summary>
    public string FileName { get; }
    /// <summary>Where it was fetched from.</summary>
    public Uri? Url { get; }
    /// <summary>The HTTP status, when the server answered with an error.</summary>
    public HttpStatusCode? StatusCode { get; }
}
