using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Sam3Serve.Engine;
using Sam3Serve.Server;

namespace Sam3Serve.Cli.Settings;

/// <summary>
/// Reads the settings of a command into one <see cref="IConfiguration"/>, from (lowest first) the configuration file
/// (<c>--config</c>, else <c>SAM3SERVE_CONFIG</c>, else <c>./sam3serve.json</c> when it exists; keys are flag names
/// without dashes), the <c>SAM3SERVE_*</c> variables and the flags given; a later source replaces a setting (a whole
/// list included). Seconds become <see cref="TimeSpan"/>s here, so the options classes hold typed values.
/// </summary>
public static class SettingsLoader
{
    /// <summary>The <c>--config</c> option.</summary>
    public static Option<string> ConfigOption() => new("--config") { Description = "JSON configuration file (keys are flag names without dashes)" };

    /// <summary>One command-line option per setting, described with its default where it has one.</summary>
    public static IReadOnlyDictionary<Setting, Option> CreateOptions(IEnumerable<Setting> settings)
    {
        var defaults = Bind(new ConfigurationBuilder().Build());
        var options = new Dictionary<Setting, Option>();
        foreach (var setting in settings)
        {
            var shown = DefaultText(setting, defaults);
            var description = shown is null ? setting.Description : $"{setting.Description} (default {shown})";
            options[setting] = setting.Kind switch
            {
                SettingKind.Switch => new Option<bool>(setting.Flag) { Description = description },
                SettingKind.List or SettingKind.SecondsList => new Option<string[]>(setting.Flag) { Description = description, AllowMultipleArgumentsPerToken = false },
                _ => new Option<string>(setting.Flag) { Description = description },
            };
        }
        return options;
    }

    /// <summary>The merged settings of <paramref name="options"/> for this invocation.</summary>
    /// <exception cref="FormatException">A value that is not of its setting's kind (the message names the source).</exception>
    /// <exception cref="InvalidDataException">An unreadable configuration file, or a key in it that names no setting.</exception>
    public static IConfiguration Load(ParseResult parse, Option<string> configOption, IReadOnlyDictionary<Setting, Option> options)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var file = ReadFile(parse.GetValue(configOption));
        foreach (var setting in options.Keys)
        {
            if (file is not null && file.Value.Json.TryGetPropertyValue(setting.FileKey, out var node) && node is not null)
            {
                Put(values, setting, FromJson(node), $"\"{setting.FileKey}\" in {file.Value.Path}");
            }
            if (Environment.GetEnvironmentVariable(setting.Variable) is { Length: > 0 } text)
            {
                Put(values, setting, setting.Kind is SettingKind.List or SettingKind.SecondsList
                    ? text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    : [text], setting.Variable);
            }
            var option = options[setting];
            if (parse.GetResult(option) is { Implicit: false })
            {
                var given = option switch
                {
                    Option<bool> flag => [parse.GetValue(flag) ? "true" : "false"],
                    Option<string[]> list => parse.GetValue(list) ?? [],
                    Option<string> one => new[] { parse.GetValue(one) ?? "" },
                    _ => throw new InvalidOperationException($"unexpected option type for {setting.Flag}"),
                };
                Put(values, setting, given, setting.Flag);
            }
        }
        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    /// <summary>Binds the three sections; a value the binder cannot convert is reported with its flag.</summary>
    public static ServeSettings Bind(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        try
        {
            var server = configuration.GetSection("Server").Get<ServerOptions>() ?? new ServerOptions();
            // The binder appends to a list that has default items; a list given replaces the default instead.
            if (configuration.GetSection("Server:WebhookRetryDelays") is var delays && delays.Exists())
            {
                server.WebhookRetryDelays = delays.Get<List<TimeSpan>>() ?? [];
            }
            if (configuration.GetSection("Server:AllowImageHost") is var hosts && hosts.Exists())
            {
                server.AllowImageHost = hosts.Get<List<string>>() ?? [];
            }
            var engine = configuration.GetSection("Engine").Get<EngineOptions>() ?? new EngineOptions();
            engine.ModelDir = server.ModelDir;
            var host = configuration.GetSection("Host").Get<HostSettings>() ?? new HostSettings();
            return new ServeSettings(server, engine, host);
        }
        catch (InvalidOperationException e)
        {
            var setting = SettingCatalog.Serve.FirstOrDefault(s => e.Message.Contains($"'{s.Key}", StringComparison.OrdinalIgnoreCase));
            throw setting is null
                ? new FormatException(e.Message, e)
                : new FormatException($"{setting.Flag}: '{configuration[setting.Key]}' is not a valid value ({setting.Description})", e);
        }
    }

    private static void Put(Dictionary<string, string?> values, Setting setting, IReadOnlyList<string> texts, string source)
    {
        foreach (var key in values.Keys.Where(k => k.Equals(setting.Key, StringComparison.OrdinalIgnoreCase) || k.StartsWith(setting.Key + ":", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            values.Remove(key);
        }
        switch (setting.Kind)
        {
            case SettingKind.List:
            case SettingKind.SecondsList:
                for (var i = 0; i < texts.Count; i++)
                {
                    values[$"{setting.Key}:{i}"] = setting.Kind == SettingKind.SecondsList ? Seconds(texts[i], source) : texts[i];
                }
                break;
            case SettingKind.Seconds:
                values[setting.Key] = Seconds(Single(texts, source), source);
                break;
            case SettingKind.Switch:
                values[setting.Key] = bool.TryParse(Single(texts, source), out var on)
                    ? (on ? "true" : "false")
                    : throw new FormatException($"{source}: '{texts[0]}' is not true or false");
                break;
            default:
                values[setting.Key] = Single(texts, source);
                break;
        }
    }

    private static string Single(IReadOnlyList<string> texts, string source) =>
        texts.Count == 1 ? texts[0] : throw new FormatException($"{source}: expected one value, not a list");

    private static string Seconds(string text, string source) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0 && seconds <= TimeSpan.MaxValue.TotalSeconds / 2
            ? TimeSpan.FromSeconds(seconds).ToString("c", CultureInfo.InvariantCulture)
            : throw new FormatException($"{source}: '{text}' is not a number of seconds");

    private static string[] FromJson(JsonNode node) => node switch
    {
        JsonArray array => [.. array.Select(n => n is null ? "" : Scalar(n))],
        _ => [Scalar(node)],
    };

    private static string Scalar(JsonNode node) => node is JsonValue value && value.GetValueKind() == JsonValueKind.String
        ? value.GetValue<string>()
        : node.ToJsonString();

    private static (string Path, JsonObject Json)? ReadFile(string? given)
    {
        var path = given ?? Environment.GetEnvironmentVariable("SAM3SERVE_CONFIG");
        if (path is null && File.Exists("sam3serve.json"))
        {
            path = "sam3serve.json";
        }
        if (path is null)
        {
            return null;
        }
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"configuration file not found: {path}");
        }
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidDataException($"configuration file {path} must hold a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"configuration file {path} is not valid JSON: {e.Message}", e);
        }
        var known = SettingCatalog.Serve.Select(s => s.FileKey).ToHashSet(StringComparer.Ordinal);
        var unknown = json.Select(p => p.Key).Where(k => !known.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidDataException($"configuration file {path}: no setting is named {string.Join(", ", unknown.Select(k => $"\"{k}\""))} (keys are flag names without dashes)");
        }
        return (path, json);
    }

    private static string? DefaultText(Setting setting, ServeSettings defaults)
    {
        var (section, name) = (setting.Key[..setting.Key.IndexOf(':')], setting.Key[(setting.Key.IndexOf(':') + 1)..]);
        object target = section switch { "Server" => defaults.Server, "Engine" => defaults.Engine, _ => defaults.Host };
        var value = target.GetType().GetProperty(name)?.GetValue(target);
        return value switch
        {
            null => null,
            TimeSpan span => span.TotalSeconds.ToString(CultureInfo.InvariantCulture),
            IEnumerable<TimeSpan> spans => string.Join(",", spans.Select(s => s.TotalSeconds.ToString(CultureInfo.InvariantCulture))),
            System.Collections.ICollection { Count: 0 } => null,
            bool b => b ? "on" : "off",
            Enum e => e.ToString().ToLowerInvariant(),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };
    }
}

/// <summary>The bound settings of <c>serve</c>.</summary>
/// <param name="Server">The service.</param>
/// <param name="Engine">The engine (its model dir is the server's).</param>
/// <param name="Host">The model source and log format.</param>
public sealed record ServeSettings(ServerOptions Server, EngineOptions Engine, HostSettings Host)
{
    /// <summary>Every problem with the settings, each naming its flag (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>(Server.Validate());
        var engine = new EngineOptionsValidator().Validate(null, Engine);
        if (engine.Failed)
        {
            problems.AddRange(engine.Failures);
        }
        if (!Enum.IsDefined(Host.LogFormat))
        {
            problems.Add("--log-format must be simple or json");
        }
        return problems;
    }
}

/// <summary>Range checks of the engine settings an operator can give, for the options pattern (ValidateOnStart).</summary>
public sealed class EngineOptionsValidator : IValidateOptions<EngineOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        if ((options.ExecutionProvider ?? "cpu").Trim().ToLowerInvariant() is not ("" or "cpu" or "cuda" or "tensorrt" or "trt"))
        {
            problems.Add("--execution-provider must be cpu, cuda or tensorrt");
        }
        if ((options.GraphOptimizationLevel ?? "all").Trim().ToLowerInvariant() is not ("" or "disable" or "none" or "off" or "basic" or "extended" or "all"))
        {
            problems.Add("--graph-optimization must be disable, basic, extended or all");
        }
        if (options.DeviceId < 0) problems.Add("--device-id must not be negative");
        if (options.IntraOpThreads < 0) problems.Add("--threads must not be negative");
        if (options.InterOpThreads < 0) problems.Add("--inter-op-threads must not be negative");
        if (options.ConcurrentRuns < 0) problems.Add("--concurrent-runs must not be negative");
        if (options.ImageCacheBytes < 0) problems.Add("--image-cache-bytes must not be negative");
        if (options.TextCacheBytes < 0) problems.Add("--text-cache-bytes must not be negative");
        if (options.DecoderObjectBatch < 0) problems.Add("--decoder-object-batch must not be negative");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
