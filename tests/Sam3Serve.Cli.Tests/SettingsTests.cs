using System.CommandLine;
using System.Reflection;
using System.Text.RegularExpressions;
using Sam3Serve.Cli.Settings;
using Sam3Serve.Engine;
using Sam3Serve.Server;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Cli.Tests;

public sealed partial class SettingsTests
{
    private static ServeSettings Parse(params string[] args)
    {
        var config = SettingsLoader.ConfigOption();
        var options = SettingsLoader.CreateOptions(SettingCatalog.Serve);
        var command = new RootCommand { config };
        foreach (var option in options.Values)
        {
            command.Options.Add(option);
        }
        var parse = command.Parse(args);
        Assert.Empty(parse.Errors);
        return SettingsLoader.Bind(SettingsLoader.Load(parse, config, options));
    }

    [Fact]
    public void Bind_Flags_GiveTypedValues()
    {
        var settings = Parse("--role", "api", "--store", "redis", "--redis", "localhost:6379", "--sync-timeout", "2.5",
            "--allow-image-host", "10.0.0.5", "--allow-image-host", "cam.local", "--share-trunk", "false", "--image-cache-bytes", "1024",
            "--log-format", "json", "--webhook-retry-delays", "1", "--webhook-retry-delays", "60");

        Assert.Equal(ServerRole.Api, settings.Server.Role);
        Assert.Equal(StoreKind.Redis, settings.Server.Store);
        Assert.Equal(TimeSpan.FromSeconds(2.5), settings.Server.SyncTimeout);
        Assert.Equal(["10.0.0.5", "cam.local"], settings.Server.AllowImageHost);
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1)], settings.Server.WebhookRetryDelays);
        Assert.False(settings.Engine.ShareTrunk);
        Assert.Equal(1024, settings.Engine.ImageCacheBytes);
        Assert.Equal(LogFormat.Json, settings.Host.LogFormat);
        Assert.Empty(settings.Validate());
    }

    [Fact]
    public void Bind_Nothing_GivesTheOptionsDefaults()
    {
        var settings = Parse();
        Assert.Equivalent(new ServerOptions(), settings.Server);
        Assert.Equivalent(new EngineOptions { ModelDir = new ServerOptions().ModelDir }, settings.Engine);
    }

    [Fact]
    public void Load_FlagBeatsFile_AndAFlagListReplacesTheFilesList()
    {
        using var dir = new TempDir();
        var file = Path.Combine(dir.Path, "sam3serve.json");
        File.WriteAllText(file, """{"workers": 3, "retention": 60, "allow-image-host": ["a", "b", "c"], "model-dir": "/m"}""");

        var settings = Parse("--config", file, "--workers", "2", "--allow-image-host", "z");

        Assert.Equal(2, settings.Server.Workers);
        Assert.Equal(TimeSpan.FromMinutes(1), settings.Server.Retention);
        Assert.Equal(["z"], settings.Server.AllowImageHost);
        Assert.Equal("/m", settings.Engine.ModelDir);
    }

    [Fact]
    public void Load_VariableBeatsFile_ButNotAFlag()
    {
        using var dir = new TempDir();
        var file = Path.Combine(dir.Path, "c.json");
        File.WriteAllText(file, """{"webhook-timeout": 7}""");
        // A setting no other test process reads, so setting it here cannot disturb a server another test starts.
        const string variable = "SAM3SERVE_WEBHOOK_TIMEOUT";
        Environment.SetEnvironmentVariable(variable, "3");
        try
        {
            Assert.Equal(TimeSpan.FromSeconds(3), Parse("--config", file).Server.WebhookTimeout);
            Assert.Equal(TimeSpan.FromSeconds(4), Parse("--config", file, "--webhook-timeout", "4").Server.WebhookTimeout);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
        Assert.Equal(TimeSpan.FromSeconds(7), Parse("--config", file).Server.WebhookTimeout);
    }

    [Theory]
    [InlineData("--workers", "many", "--workers")]
    [InlineData("--sync-timeout", "soon", "--sync-timeout")]
    [InlineData("--role", "boss", "--role")]
    public void Bind_ValueOfTheWrongKind_IsRefusedNamingTheFlag(string flag, string value, string named)
    {
        var settings = Record.Exception(() => Parse(flag, value));
        if (settings is null)
        {
            // An enum name the binder took as a number out of range is caught by validation instead.
            Assert.Contains(Parse(flag, value).Validate(), p => p.Contains(named, StringComparison.Ordinal));
            return;
        }
        Assert.IsType<FormatException>(settings);
        Assert.Contains(named, settings.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_FileKeyThatNamesNoSetting_IsRefused()
    {
        using var dir = new TempDir();
        var file = Path.Combine(dir.Path, "c.json");
        File.WriteAllText(file, """{"data-dir": "/d", "wokers": 2}""");
        var error = Assert.Throws<InvalidDataException>(() => Parse("--config", file));
        Assert.Contains("\"wokers\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SqliteWithASplitRole_AndAnUnknownProvider_AreProblems()
    {
        var problems = Parse("--role", "worker", "--execution-provider", "tpu").Validate();
        Assert.Contains(problems, p => p.Contains("--role", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("--execution-provider", StringComparison.Ordinal));
    }

    [Fact]
    public void Catalog_ReachesEveryOperatorSetting_OfTheServerAndTheEngine()
    {
        var keys = SettingCatalog.Serve.Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        var properties = Settable(typeof(ServerOptions)).Select(p => "Server:" + p)
            .Concat(Settable(typeof(EngineOptions)).Where(p => p != nameof(EngineOptions.ModelDir)).Select(p => "Engine:" + p))
            .Concat(Settable(typeof(HostSettings)).Select(p => "Host:" + p))
            .ToHashSet(StringComparer.Ordinal);

        Assert.Empty(properties.Except(keys)); // a property no flag, variable or file key can set
        Assert.Empty(keys.Except(properties)); // a flag that binds to nothing
    }

    [Fact]
    public void Readme_HasOneRowPerSetting_AndNoRowWithoutOne()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var table = readme[readme.IndexOf("| flag | default | meaning |", StringComparison.Ordinal)..];
        table = table[..table.IndexOf("\n\n", StringComparison.Ordinal)];
        var documented = table.Split('\n').Skip(2)
            .SelectMany(row => FlagInFirstCell().Matches(row.Split('|')[1]).Select(m => m.Value))
            .ToList();
        var settings = SettingCatalog.Serve.Select(s => s.Flag).Append("--config").ToList();

        Assert.Empty(settings.Except(documented));
        Assert.Empty(documented.Except(settings));
        Assert.Equal(documented.Count, documented.Distinct().Count());
    }

    private static List<string> Settable(Type type) =>
        [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => p.Name)];

    private static string RepositoryRoot([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", ".."));

    [GeneratedRegex("--[a-z0-9-]+")]
    private static partial Regex FlagInFirstCell();
}
