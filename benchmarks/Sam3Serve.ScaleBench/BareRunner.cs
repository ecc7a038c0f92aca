using System.Diagnostics;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Sam3Serve.Contracts.Inference;
using Sam3Serve.Engine;
using Sam3Serve.Engine.Bundle;
using Sam3Serve.Engine.Concept;
using Sam3Serve.Engine.Onnx;
using Sam3Serve.Engine.Onnx.TrunkSharing;
using Sam3Serve.Engine.Preprocessing;
using Sam3Serve.Engine.Text;

namespace Sam3Serve.ScaleBench;

/// <summary>
/// The graphs the engine runs, as bare <see cref="InferenceSession"/>s with the engine's session options: the same
/// split (trunk, necks) and decoder files, fed the same tensors, with nothing around <c>Run</c>. Each stage runs
/// twice; the second run is reported (the first pays one-off allocation and packing in either setting).
/// </summary>
internal sealed class BareRunner : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    private readonly Dictionary<string, double> _seconds = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, double> Seconds => _seconds;

    public void Dispose()
    {
        foreach (var d in _owned)
        {
            d.Dispose();
        }
        _owned.Clear();
    }

    public void Run(string bundleDir, EngineOptions options, RgbImage image)
    {
        var bundle = ModelBundle.Open(bundleDir, options.Variant);
        var concept = bundle.Concept ?? throw new InvalidOperationException("the bundle has no concept files");
        var tracker = bundle.Tracker ?? throw new InvalidOperationException("the bundle has no tracker files");
        var analysis = TrunkSplitter.Analyse(concept.VisionEncoder, tracker.VisionEncoder);
        var split = analysis.Split ?? throw new InvalidOperationException($"no shared trunk: {analysis.Reason}");

        using var trunk = Session(split.Trunk, split.DetectorDirectory, options);
        var size = (int)trunk.InputMetadata.Values.First().Dimensions[^1];
        var pixels = new float[3 * size * size];
        ImagePreprocessor.ToNchw(image, size, size, pixels);
        using var pixelValue = OrtValue.CreateTensorValueFromMemory(pixels, [1, 3, size, size]);
        var trunkOut = Time(BareStage.Trunk, trunk, new() { [trunk.InputNames[0]] = pixelValue });

        using var detectorNeck = NeckSession(split.DetectorNeck, trunk, split.DetectorDirectory, options);
        var detector = Time(BareStage.DetectorNeck, detectorNeck, split.DetectorNeck.Inputs.ToDictionary(i => i.NeckInputName, i => trunkOut[i.TrunkOutput]));
        using var trackerNeck = NeckSession(split.TrackerNeck, trunk, split.TrackerDirectory, options);
        var trackerFeatures = Time(BareStage.TrackerNeck, trackerNeck, split.TrackerNeck.Inputs.ToDictionary(i => i.NeckInputName, i => trunkOut[i.TrunkOutput]));

        using var textSession = new InferenceSession(concept.TextEncoder, SessionOptionsFactory.Create(options));
        var tokens = ClipTokenizer.FromMergesFile(bundle.Vocabulary).Encode("truck");
        using var ids = OrtValue.CreateTensorValueFromMemory(tokens.InputIds, [1, tokens.InputIds.Length]);
        using var mask = OrtValue.CreateTensorValueFromMemory(tokens.AttentionMask, [1, tokens.AttentionMask.Length]);
        var text = Time(BareStage.Text, textSession, new() { ["input_ids"] = ids, ["attention_mask"] = mask });

        using var decoder = new InferenceSession(concept.Decoder, SessionOptionsFactory.Create(options));
        var (boxes, labels, count) = BoxExemplars.Encode([], image.Width, image.Height, 1);
        using var boxValue = OrtValue.CreateTensorValueFromMemory(boxes, [1, count, 4]);
        using var labelValue = OrtValue.CreateTensorValueFromMemory(labels, [1, count]);
        var decoderInputs = new Dictionary<string, OrtValue>(detector) { ["input_boxes"] = boxValue, ["input_boxes_labels"] = labelValue };
        foreach (var (name, value) in text)
        {
            decoderInputs[name] = value;
        }
        Time(BareStage.ConceptDecoder, decoder, decoderInputs);
        BatchedPrompts(decoder, decoderInputs, 3);

        using var trackerDecoder = new InferenceSession(tracker.Decoder, SessionOptionsFactory.Create(options));
        TrackerRun(BareStage.TrackerDecoder1, trackerDecoder, trackerFeatures, objects: 1, withBoxes: false, size);
        TrackerRun(BareStage.TrackerDecoder4, trackerDecoder, trackerFeatures, objects: 4, withBoxes: true, size);
        TrackerRun(BareStage.TrackerDecoder64, trackerDecoder, trackerFeatures, objects: 64, withBoxes: false, size);
    }

    /// <summary>The concept decoder with <paramref name="prompts"/> prompts in its batch dimension (image features repeated).</summary>
    private void BatchedPrompts(InferenceSession decoder, Dictionary<string, OrtValue> single, int prompts)
    {
        var batched = new Dictionary<string, OrtValue>(StringComparer.Ordinal);
        foreach (var (name, value) in single)
        {
            batched[name] = Repeat(value, prompts);
        }
        Time(BareStage.ConceptDecoderBatch3, decoder, batched);
    }

    private OrtValue Repeat(OrtValue value, int times)
    {
        var info = value.GetTensorTypeAndShape();
        var shape = info.Shape.ToArray();
        shape[0] *= times;
        OrtValue result = info.ElementDataType switch
        {
            TensorElementType.Float => Tile<float>(value, times, shape),
            TensorElementType.Int64 => Tile<long>(value, times, shape),
            TensorElementType.Bool => Tile<bool>(value, times, shape),
            var t => throw new NotSupportedException($"cannot repeat a {t} tensor"),
        };
        _owned.Add(result);
        return result;
    }

    private static OrtValue Tile<T>(OrtValue value, int times, long[] shape)
        where T : unmanaged
    {
        var source = value.GetTensorDataAsSpan<T>();
        var data = new T[source.Length * times];
        for (var i = 0; i < times; i++)
        {
            source.CopyTo(data.AsSpan(i * source.Length));
        }
        return OrtValue.CreateTensorValueFromMemory(data, shape);
    }

    private void TrackerRun(string stage, InferenceSession session, Dictionary<string, OrtValue> features, int objects, bool withBoxes, int size)
    {
        var points = new float[objects * 2];
        var labels = new long[objects];
        var boxes = new float[withBoxes ? objects * 4 : 0];
        for (var o = 0; o < objects; o++)
        {
            points[2 * o] = (o % 8 + 0.5f) * size / 8;
            points[(2 * o) + 1] = (o / 8 + 0.5f) * size / 8;
            labels[o] = withBoxes ? -1 : 1;
            if (withBoxes)
            {
                boxes[4 * o] = 50 + (o * 200);
                boxes[(4 * o) + 1] = 150;
                boxes[(4 * o) + 2] = 220 + (o * 200);
                boxes[(4 * o) + 3] = 600;
            }
        }
        using var pointValue = OrtValue.CreateTensorValueFromMemory(withBoxes ? new float[objects * 2] : points, [1, objects, 1, 2]);
        using var labelValue = OrtValue.CreateTensorValueFromMemory(labels, [1, objects, 1]);
        using var boxValue = OrtValue.CreateTensorValueFromMemory(boxes, [1, withBoxes ? objects : 0, 4]);
        var inputs = new Dictionary<string, OrtValue>(features) { ["input_points"] = pointValue, ["input_labels"] = labelValue, ["input_boxes"] = boxValue };
        Time(stage, session, inputs);
    }

    private Dictionary<string, OrtValue> Time(string stage, InferenceSession session, Dictionary<string, OrtValue> inputs)
    {
        var names = session.InputNames.ToArray();
        var values = names.Select(n => inputs[n]).ToArray();
        using var runOptions = new RunOptions();
        Dictionary<string, OrtValue>? outputs = null;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (outputs is not null)
            {
                foreach (var v in outputs.Values)
                {
                    v.Dispose();
                }
            }
            var start = Stopwatch.GetTimestamp();
            var results = session.Run(runOptions, names, values, session.OutputNames);
            _seconds[stage] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            outputs = session.OutputNames.Zip(results).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
            NativeHeap.Trim();
        }
        foreach (var v in outputs!.Values)
        {
            _owned.Add(v);
        }
        Console.Error.WriteLine($"  bare {stage}: {_seconds[stage]:F2} s");
        return outputs;
    }

    private static InferenceSession Session(Onnx.ModelProto model, string dataDirectory, EngineOptions options)
    {
        var so = SessionOptionsFactory.CreateForBytes(options, dataDirectory);
        return new InferenceSession(model.ToByteArray(), so);
    }

    private static InferenceSession NeckSession(NeckGraph neck, InferenceSession trunk, string dataDirectory, EngineOptions options)
    {
        var bytes = neck.Serialize(name => ((int)trunk.OutputMetadata[name].ElementDataType, trunk.OutputMetadata[name].Dimensions.Select(d => (long)d).ToArray()));
        var so = SessionOptionsFactory.CreateForBytes(options, dataDirectory);
        return new InferenceSession(bytes, so);
    }
}
