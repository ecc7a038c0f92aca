using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Engine;
using Sam3Serve.Models.Sources;
using Sam3Serve.Jobs.Accounts;
using Sam3Serve.Server;

namespace Sam3Serve.Cli.Commands;

/// <summary><c>sam3serve serve</c>: runs the HTTP service with the flags of contract §7.</summary>
public static class ServeCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var defaults = new ServerOptions();
        var engineDefaults = new EngineOptions();
        var config = new Option<string>("--config") { Description = "JSON configuration file (keys are flag names without dashes)" };
        var urls = new Option<string>("--urls") { Description = $"Where to listen (default {defaults.Urls})" };
        var dataDir = new Option<string>("--data-dir") { Description = $"SQLite store, media, generated first key (default {defaults.DataDir})" };
        var modelDir = new Option<string>("--model-dir") { Description = $"The model bundle (default {defaults.ModelDir})" };
        var publicBaseUrl = new Option<string>("--public-base-url") { Description = "Base of the absolute URLs in /v2 answers (default: from the request)" };
        var workers = new Option<int>("--workers") { Description = $"Inference workers in this process (default {defaults.Workers})" };
        var maxQueue = new Option<int>("--max-queue") { Description = $"Queued requests before 429 (default {defaults.MaxQueue})" };
        var retention = new Option<double>("--retention") { Description = $"Seconds a finished request and its media are kept (default {defaults.Retention})" };
        var price = new Option<decimal>("--price") { Description = $"Credits charged per completed request (default {defaults.Price})" };
        var allowHost = new Option<string[]>("--allow-image-host") { Description = "A private host or address image URLs may reach (repeatable)", AllowMultipleArgumentsPerToken = false };
        var fetchTimeout = new Option<double>("--image-fetch-timeout") { Description = $"Seconds for fetching an image URL (default {defaults.ImageFetchTimeout})" };
        var syncTimeout = new Option<double>("--sync-timeout") { Description = $"Seconds before a /v1 request answers 504 (default {defaults.SyncTimeout})" };
        var role = new Option<string>("--role") { Description = "all, api or worker (default all)" };
        var store = new Option<string>("--store") { Description = "sqlite or redis (default sqlite)" };
        var redis = new Option<string>("--redis") { Description = "Redis connection string, with --store redis" };
        var maxBody = new Option<long>("--max-body-bytes") { Description = $"Largest request body (default {defaults.MaxBodyBytes})" };
        var maxPixels = new Option<long>("--max-image-pixels") { Description = $"Largest decoded image in pixels (default {defaults.MaxImagePixels})" };
        var lease = new Option<double>("--lease-seconds") { Description = $"Seconds a worker holds a job before another may take it over (default {defaults.LeaseSeconds})" };
        var sweep = new Option<double>("--sweep-interval") { Description = $"Seconds between retention sweeps (default {defaults.SweepInterval})" };
        var variant = new Option<string>("--variant") { Description = "Model precision variant (fp32, fp16, q8, ...; default: per execution provider)" };
        var provider = new Option<string>("--execution-provider") { Description = "cpu, cuda or tensorrt (default cpu)" };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads (default: all cores)" };
        var concurrentRuns = new Option<int>("--concurrent-runs") { Description = "Model runs at once in this process, all workers together (default 1: one SAM 3 image pass already fills a CPU and needs ~3.4 GB of activations)" };
        var offline = new Option<bool>("--offline") { Description = "Never download the model; fail if it is missing" };
        var modelBaseUrl = new Option<string>("--model-base-url") { Description = "Download a missing model from this mirror (a folder URL serving the files and their manifest.json) instead of a release" };
        var release = new Option<string>("--release") { Description = "The GitHub release a missing model is downloaded from, owner/repo@tag (default jamjamjon/assets@sam3)" };
        var apiBase = new Option<string>("--api-base") { Description = "The GitHub API root for --release (default https://api.github.com)" };
        var logFormat = new Option<string>("--log-format") { Description = "simple or json (default simple)" };
        var webhookSecret = new Option<string>("--webhook-secret") { Description = "whsec_<base64> key of the webhook signatures (default: generated on first start, saved to <data-dir>/webhook-secret.txt)" };

        var command = new Command("serve", "Run the HTTP service")
        {
            config, urls, dataDir, modelDir, publicBaseUrl, workers, maxQueue, retention, price, allowHost, fetchTimeout,
            syncTimeout, role, store, redis, maxBody, maxPixels, lease, sweep, variant, provider, threads, concurrentRuns, offline, modelBaseUrl, release, apiBase, logFormat,
            webhookSecret,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            ServerOptions options;
            EngineOptions engineOptions;
            string format;
            bool isOffline;
            BundleSource modelSource;
            try
            {
                var s = SettingSources.Load(parse, config);
                options = new ServerOptions
                {
                    Urls = s.Get(urls, defaults.Urls),
                    DataDir = s.Get(dataDir, defaults.DataDir),
                    ModelDir = s.Get(modelDir, defaults.ModelDir),
                    PublicBaseUrl = s.Get(publicBaseUrl, defaults.PublicBaseUrl!),
                    Workers = s.Get(workers, defaults.Workers),
                    MaxQueue = s.Get(maxQueue, defaults.MaxQueue),
                    Retention = s.Get(retention, defaults.Retention),
                    Price = s.Get(price, defaults.Price),
                    AllowImageHost = s.GetList(allowHost),
                    ImageFetchTimeout = s.Get(fetchTimeout, defaults.ImageFetchTimeout),
                    SyncTimeout = s.Get(syncTimeout, defaults.SyncTimeout),
                    Role = s.Get(role, defaults.Role),
                    Store = s.Get(store, defaults.Store),
                    Redis = s.Get(redis, defaults.Redis!),
                    MaxBodyBytes = s.Get(maxBody, defaults.MaxBodyBytes),
                    MaxImagePixels = s.Get(maxPixels, defaults.MaxImagePixels),
                    SweepInterval = s.Get(sweep, defaults.SweepInterval),
                    LeaseSeconds = s.Get(lease, defaults.LeaseSeconds),
                    WebhookSecret = s.Get(webhookSecret, defaults.WebhookSecret!),
                };
                var executionProvider = s.Get(provider, engineDefaults.ExecutionProvider);
                engineOptions = new EngineOptions
                {
                    ModelDir = options.ModelDir,
                    Variant = s.Get(variant, (string?)null!),
                    ExecutionProvider = executionProvider,
                    IntraOpThreads = s.Get(threads, engineDefaults.IntraOpThreads),
                    ConcurrentRuns = s.Get(concurrentRuns, engineDefaults.ConcurrentRuns),
                };
                format = s.Get(logFormat, "simple");
                isOffline = s.Get(offline, false);
                modelSource = ModelProvisioning.SourceFrom(s.Get(release, (string?)null!), s.Get(apiBase, (string?)null!), s.Get(modelBaseUrl, (string?)null!));
            }
            catch (Exception e) when (e is FormatException or InvalidDataException or FileNotFoundException or System.Text.Json.JsonException or ArgumentException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }

            var problems = options.Validate();
            if (problems.Count > 0)
            {
                foreach (var problem in problems)
                {
                    Console.Error.WriteLine($"error: {problem}");
                }
                return 2;
            }
            if (options.Role != "api" && !await ModelProvisioning.EnsureBundleAsync(engineOptions, isOffline, modelSource, cancellationToken))
            {
                return 4;
            }

            WebApplication app;
            try
            {
                app = Sam3ServerHost.Build(options, services =>
                {
                    if (options.Role == "api")
                    {
                        return; // an API process never loads the model
                    }
                    services.AddSingleton(engineOptions);
                    services.AddSingleton<Sam3Engine>(sp => new Sam3Engine(engineOptions, sp.GetRequiredService<ILogger<Sam3Engine>>()));
                    services.AddSingleton<ISegmentationEngine>(sp => sp.GetRequiredService<Sam3Engine>());
                }, format);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }

            var firstKey = await FirstKey.EnsureAsync(app.Services.GetRequiredService<IAccountStore>(), options.DataDir, cancellationToken);
            if (firstKey is not null)
            {
                Console.WriteLine("No API key existed, so one was created (name 'default', unlimited credits). It is shown only now,");
                Console.WriteLine($"and saved to {Path.Combine(Path.GetFullPath(options.DataDir), FirstKey.FileName)} (readable only by you):");
                Console.WriteLine(firstKey);
            }
            Console.WriteLine($"sam3serve listening on {options.Urls} (data dir {Path.GetFullPath(options.DataDir)}, model dir {Path.GetFullPath(options.ModelDir)})");
            await app.RunAsync();
            return Environment.ExitCode;
        });
        return command;
    }
}
