using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sam3Serve.Cli.Commands;

/// <summary>
/// Where a setting comes from, in order: the command-line flag, the environment variable
/// (<c>--data-dir</c> → <c>SAM3SERVE_DATA_DIR</c>), the configuration file (key <c>"data-dir"</c>),
/// then the built-in default. The file is <c>--config</c>, else <c>SAM3SERVE_CONFIG</c>, else
/// <c>./sam3serve.json</c> when it exists.
/// </summary>
public sealed class SettingSources
{
    private readonly ParseResult _parse;
    private readonly JsonObject _file;

    private SettingSources(ParseResult parse, JsonObject file)
    {
        _parse = parse;
        _file = file;
    }

    /// <summary>Reads the configuration file named by <paramref name="configOption"/> or the fallbacks.</summary>
    public static SettingSources Load(ParseResult parse, Option<string> configOption)
    {
        var path = parse.GetValue(configOption) ?? Environment.GetEnvironmentVariable("SAM3SERVE_CONFIG");
        if (path is null && File.Exists("sam3serve.json"))
        {
            path = "sam3serve.json";
        }
        if (path is null)
        {
            return new SettingSources(parse, []);
        }
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"configuration file not found: {path}");
        }
        try
        {
            return new SettingSources(parse, JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidDataException($"configuration file {path} must hold a JSON object"));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"configuration file {path} is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>The environment variable that sets a flag.</summary>
    public static string EnvironmentName(Option option) =>
        "SAM3SERVE_" + option.Name.TrimStart('-').Replace('-', '_').ToUpperInvariant();

    /// <summary>The option's value from the first source that has it, or <paramref name="fallback"/>.</summary>
    public T Get<T>(Option<T> option, T fallback)
    {
        if (_parse.GetResult(option) is { Implicit: false })
        {
            return _parse.GetValue(option)!;
        }
        var env = Environment.GetEnvironmentVariable(EnvironmentName(option));
        if (!string.IsNullOrEmpty(env))
        {
            return Convert<T>(env, EnvironmentName(option));
        }
        if (_file.TryGetPropertyValue(option.Name.TrimStart('-'), out var node) && node is not null)
        {
            return node is JsonValue value && value.GetValueKind() == JsonValueKind.String
                ? Convert<T>(value.GetValue<string>(), option.Name)
                : node.Deserialize<T>()!;
        }
        return fallback;
    }

    /// <summary>A list option: every flag occurrence, else a comma-separated variable, else the file's array.</summary>
    public List<string> GetList(Option<string[]> option)
    {
        if (_parse.GetResult(option) is { Implicit: false })
        {
            return [.. _parse.GetValue(option)!];
        }
        var env = Environment.GetEnvironmentVariable(EnvironmentName(option));
        if (!string.IsNullOrEmpty(env))
        {
            return [.. env.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        }
        if (_file.TryGetPropertyValue(option.Name.TrimStart('-'), out var node) && node is JsonArray array)
        {
            return [.. array.Select(n => n!.GetValue<string>())];
        }
        return [];
    }

    private static T Convert<T>(string text, string source)
    {
        var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        try
        {
            return (T)(type == typeof(string) ? text : System.Convert.ChangeType(text, type, System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (FormatException e)
        {
            throw new FormatException($"{source}: '{text}' is not a valid {type.Name}", e);
        }
    }
}
