using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Sam3Serve.PrecisionProbe;

// Usage: dotnet run -c Release --project benchmarks/Sam3Serve.PrecisionProbe -- MODEL.onnx [--runs N] [--threads T] [--optimized-ops]
// Times the float32 graph and its float16 conversion on ONNX Runtime's CPU provider, interleaved, and prints medians.
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: Sam3Serve.PrecisionProbe MODEL.onnx [--runs N] [--threads T]");
    return 2;
}
var modelPath = args[0];
var runs = Option("--runs", 5);
var threads = Option("--threads", 0);

var work = Directory.CreateTempSubdirectory("sam3-precision-probe");
try
{
    var clock = Stopwatch.StartNew();
    var fp32 = Float16Conversion.Load(modelPath);
    var fp16 = Float16Conversion.ToFloat16(fp32);
    var fp32Path = Path.Combine(work.FullName, "fp32.onnx");
    var fp16Path = Path.Combine(work.FullName, "fp16.onnx");
    File.WriteAllBytes(fp32Path, fp32.ToByteArray());
    File.WriteAllBytes(fp16Path, fp16.ToByteArray());
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{Path.GetFileName(modelPath)}: {fp32.Graph.Node.Count} nodes, fp32 {new FileInfo(fp32Path).Length / 1e6:F1} MB, fp16 {new FileInfo(fp16Path).Length / 1e6:F1} MB (converted in {clock.Elapsed.TotalSeconds:F1} s)"));
    Console.WriteLine("op types: " + string.Join(", ", fp32.Graph.Node.GroupBy(n => n.OpType).OrderByDescending(g => g.Count()).Select(g => $"{g.Key}×{g.Count()}")));

    if (args.Contains("--optimized-ops"))
    {
        // What ONNX Runtime's CPU provider makes of each graph: kernels without a float16 version get Casts around them.
        foreach (var (label, path) in new[] { ("fp32", fp32Path), ("fp16", fp16Path) })
        {
            var optimized = Path.Combine(work.FullName, label + "-optimized.onnx");
            using (var save = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, OptimizedModelFilePath = optimized })
            using (new InferenceSession(path, save))
            {
            }
            var graph = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimized)).Graph;
            Console.WriteLine($"{label} after ORT optimisation: {graph.Node.Count} nodes; " + string.Join(", ", graph.Node.GroupBy(n => n.OpType).OrderByDescending(g => g.Count()).Take(12).Select(g => $"{g.Key}×{g.Count()}")));
        }
        return 0;
    }

    using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = threads };
    using var session32 = Load(fp32Path, options, "fp32");
    using var session16 = Load(fp16Path, options, "fp16");
    var inputs = MakeInputs(session32);

    var out32 = Run(session32, inputs);
    var out16 = Run(session16, inputs);
    foreach (var name in out32.Keys)
    {
        var a = out32[name];
        var b = out16[name];
        var maxDiff = a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
        var scale = a.Max(Math.Abs);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"output {name}: {a.Length} values, max |fp32 - fp16| {maxDiff:G4} (max |fp32| {scale:G4})"));
    }

    var times32 = new List<double>();
    var times16 = new List<double>();
    for (var i = 0; i < runs; i++)
    {
        times32.Add(Time(session32, inputs));
        times16.Add(Time(session16, inputs));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {i + 1}: fp32 {times32[^1]:F0} ms, fp16 {times16[^1]:F0} ms"));
    }
    var m32 = Median(times32);
    var m16 = Median(times16);
    // Each pair ran back to back, so the per-pair ratio is less exposed to load from other processes than the medians.
    var pairRatio = Median([.. times16.Zip(times32, (h, f) => h / f)]);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"median of {runs}: fp32 {m32:F0} ms, fp16 {m16:F0} ms; fp16/fp32 = {m16 / m32:F2}, median per-pair ratio {pairRatio:F2} (threads {(threads == 0 ? "default" : threads.ToString(CultureInfo.InvariantCulture))}, {Environment.ProcessorCount} cores)"));
    return 0;
}
finally
{
    work.Delete(recursive: true);
}

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static InferenceSession Load(string path, SessionOptions options, string label)
{
    var clock = Stopwatch.StartNew();
    var session = new InferenceSession(path, options);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label}: session created in {clock.Elapsed.TotalSeconds:F1} s"));
    return session;
}

static Dictionary<string, NamedOnnxValue> MakeInputs(InferenceSession session)
{
    var random = new Random(1);
    var inputs = new Dictionary<string, NamedOnnxValue>(StringComparer.Ordinal);
    foreach (var (name, meta) in session.InputMetadata)
    {
        var dims = meta.Dimensions.Select(d => d > 0 ? d : 1).ToArray();
        var count = dims.Aggregate(1, (a, b) => a * b);
        if (meta.ElementType != typeof(float))
        {
            throw new NotSupportedException($"input {name} is {meta.ElementType}; the probe feeds float inputs only");
        }
        var data = new float[count];
        for (var i = 0; i < count; i++)
        {
            data[i] = (float)(random.NextDouble() * 2 - 1);
        }
        inputs[name] = NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(data, dims));
    }
    return inputs;
}

static Dictionary<string, float[]> Run(InferenceSession session, Dictionary<string, NamedOnnxValue> inputs)
{
    using var results = session.Run(inputs.Values.ToList());
    return results.ToDictionary(r => r.Name, r => r.AsTensor<float>().ToArray(), StringComparer.Ordinal);
}

static double Time(InferenceSession session, Dictionary<string, NamedOnnxValue> inputs)
{
    var clock = Stopwatch.StartNew();
    using var results = session.Run(inputs.Values.ToList());
    return clock.Elapsed.TotalMilliseconds;
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}
