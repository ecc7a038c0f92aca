using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Sam3Serve.Cli.Settings;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Engine;
using Sam3Serve.Models.Sources;
using Sam3Serve.Jobs.Accounts;
using Sam3Serve.Server;

namespace Sam3Serve.Cli.Commands;

/// <summary><c>sam3serve serve</c>: runs the HTTP service with the settings of <see cref="SettingCatalog.Serve"/>.</summary>
public static class ServeCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var config = SettingsLoader.ConfigOption();
        var options = SettingsLoader.CreateOptions(SettingCatalog.Serve);
        var command = new Command("serve", "Run the HTTP service") { config };
        foreach (var option in options.Values)
        {
            command.Options.Add(option);
        }
        command.SetAction(async (parse, cancellationToken) =>
        {
            IConfiguration configuration;
            ServeSettings settings;
            BundleSource modelSource;
            try
            {
                configuration = SettingsLoader.Load(parse, config, options);
                settings = SettingsLoader.Bind(configuration);
                modelSource = ModelProvisioning.SourceFrom(settings.Host.Release, settings.Host.ApiBase, settings.Host.ModelBaseUrl);
            }
            catch (Exception e) when (e is FormatException or InvalidDataException or FileNotFoundException or ArgumentException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }

            var problems = settings.Validate();
            if (problems.Count > 0)
            {
                foreach (var problem in problems)
                {
                    Console.Error.WriteLine($"error: {problem}");
                }
                return 2;
            }
            var serverOptions = settings.Server;
            var engineOptions = settings.Engine;
            if (serverOptions.RunsModel && !await ModelProvisioning.EnsureBundleAsync(engineOptions, settings.Host.Offline, modelSource, cancellationToken))
            {
                return 4;
            }

            WebApplication app;
            try
            {
                app = Sam3ServerHost.Build(serverOptions, services =>
                {
                    // The same settings through the options pattern, checked again when the host starts.
                    services.AddOptions<ServerOptions>().Bind(configuration.GetSection("Server")).ValidateOnStart();
                    if (!serverOptions.RunsModel)
                    {
                        return; // an API process never loads the model
                    }
                    services.AddSingleton<IValidateOptions<EngineOptions>, EngineOptionsValidator>();
                    services.AddOptions<EngineOptions>().Bind(configuration.GetSection("Engine"))
                        .Configure(e => e.ModelDir = serverOptions.ModelDir).ValidateOnStart();
                    services.AddSingleton(sp => sp.GetRequiredService<IOptions<EngineOptions>>().Value);
                    services.AddSingleton<Sam3Engine>(sp => new Sam3Engine(sp.GetRequiredService<EngineOptions>(), sp.GetRequiredService<ILogger<Sam3Engine>>()));
                    services.AddSingleton<ISegmentationEngine>(sp => sp.GetRequiredService<Sam3Engine>());
                }, settings.Host.LogFormat == LogFormat.Json ? "json" : "simple");
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }

            var firstKey = await FirstKey.EnsureAsync(app.Services.GetRequiredService<IAccountStore>(), serverOptions.DataDir, cancellationToken);
            if (firstKey is not null)
            {
                Console.WriteLine("No API key existed, so one was created (name 'default', unlimited credits). It is shown only now,");
                Console.WriteLine($"and saved to {Path.Combine(Path.GetFullPath(serverOptions.DataDir), FirstKey.FileName)} (readable only by you):");
                Console.WriteLine(firstKey);
            }
            Console.WriteLine($"sam3serve listening on {serverOptions.Urls} (data dir {Path.GetFullPath(serverOptions.DataDir)}, model dir {Path.GetFullPath(serverOptions.ModelDir)})");
            await app.RunAsync();
            return Environment.ExitCode;
        });
        return command;
    }
}
