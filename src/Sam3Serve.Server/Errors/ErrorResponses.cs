using System.Text.Json;
using System.Text.Json.Serialization;
using Sam3Serve.Imaging.Input;

namespace Sam3Serve.Server.Errors;

/// <summary>The JSON body of every non-2xx answer: <c>{"error": "...", "errors": {...}}</c>.</summary>
internal sealed record ErrorBody(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("errors"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string[]>? Errors = null,
    [property: JsonPropertyName("request_id"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RequestId = null);

/// <summary>Writes error answers in the contract's shape.</summary>
internal static class ErrorResponses
{
    /// <summary>Maps an image input failure to the API failure the contract gives it.</summary>
    public static ApiException FromImage(ImageInputException e) => new(e.StatusCode, e.Message);

    /// <summary>The answer to a typed request failure: its status and message, and the field at fault as a field error.</summary>
    public static ApiException FromFailure(Lifecycle.RequestFailure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        if (failure.Field is not { } field)
        {
            return new ApiException(failure.Failure.Status, failure.Message);
        }
        var prefix = field + ": ";
        var rule = failure.Message.StartsWith(prefix, StringComparison.Ordinal) ? failure.Message[prefix.Length..] : failure.Message;
        return new ApiException(failure.Failure.Status, failure.Message, new Dictionary<string, string[]> { [field] = [rule] });
    }

    /// <summary>Writes <paramref name="error"/> as the response, with Retry-After when it has one.</summary>
    public static Task WriteAsync(HttpContext context, ApiException error)
    {
        context.Response.StatusCode = error.StatusCode;
        if (error.RetryAfterSeconds is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return context.Response.WriteAsJsonAsync(new ErrorBody(error.Message, error.FieldErrors, RequestIdOf(context)), JsonOptions.Web);
    }

    /// <summary>A JSON error result for minimal-API handlers.</summary>
    public static IResult Result(int statusCode, string error) =>
        Results.Json(new ErrorBody(error), JsonOptions.Web, statusCode: statusCode);

    private static string? RequestIdOf(HttpContext context) =>
        context.Items.TryGetValue(RequestIds.ItemKey, out var id) ? id as string : null;
}

/// <summary>Serializer settings shared by the server's JSON answers.</summary>
internal static class JsonOptions
{
    /// <summary>
    /// Snake-case names come from attributes; enums are strings. Relaxed escaping keeps base64 ('+') and
    /// RLE counts unescaped: these answers are JSON for API clients, never inlined into HTML.
    /// </summary>
    public static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}
