// The run's call written as curl (v1, synchronous), Python with Segmind's SDK (v2) and C# with Sam3Serve.Client
// (v2). The key is read from SAM3SERVE_API_KEY so a snippet can be shared or screenshotted without leaking it.
import type { ImageSource, Params } from './api';
import { modelSlug } from './api';

export interface Snippets {
  curl: string;
  python: string;
  csharp: string;
}

export function snippets(origin: string, image: ImageSource, params: Params): Snippets {
  return { curl: curl(origin, image, params), python: python(origin, image, params), csharp: csharp(origin, image, params) };
}

/** A shell word in single quotes. */
function sh(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function curl(origin: string, image: ImageSource, params: Params): string {
  const lines = [
    '# export SAM3SERVE_API_KEY=<your key>',
    `curl -sS --fail-with-body -X POST ${sh(`${origin}/v1/${modelSlug}`)} \\`,
    `  -H "x-api-key: $SAM3SERVE_API_KEY" \\`,
  ];
  if (image.kind === 'file') {
    // curl reads the file itself; quotes keep names with ';' or ',' whole. --form-string sends a value as it
    // is, so a concept that starts with '@' or '<' is not taken for a file.
    const name = image.name.replaceAll('\\', '\\\\').replaceAll('"', '\\"');
    const fields = [
      `-F ${sh(`image=@"${name}"`)}`,
      ...Object.entries(params).map(([k, v]) => `--form-string ${sh(`${k}=${Array.isArray(v) ? JSON.stringify(v) : String(v)}`)}`),
    ];
    fields.forEach((field, i) => lines.push(`  ${field}${i < fields.length - 1 ? ' \\' : ''}`));
  } else {
    lines.push(`  -H 'Content-Type: application/json' \\`);
    lines.push(`  -d ${sh(JSON.stringify({ image: image.url, ...params }, null, 1).replace(/\n\s*/g, ' '))}`);
  }
  return lines.join('\n');
}

function pyValue(value: string | number | boolean | string[]): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (Array.isArray(value)) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function python(origin: string, image: ImageSource, params: Params): string {
  const lines = ['# pip install "segmind>=1.1.0"', 'import os'];
  if (image.kind === 'file') lines[1] = 'import base64, os';
  lines.push(
    'from segmind import SegmindClient',
    '',
    `client = SegmindClient(api_key=os.environ["SAM3SERVE_API_KEY"], base_url=${JSON.stringify(`${origin}/v1`)})`,
  );
  let imageArg: string;
  if (image.kind === 'file') {
    lines.push(`with open(${JSON.stringify(image.name)}, "rb") as f:`, '    image = base64.b64encode(f.read()).decode()');
    imageArg = 'image';
  } else {
    imageArg = JSON.stringify(image.url);
  }
  lines.push('', 'job = client.submit_async(', `    ${JSON.stringify(modelSlug)},`, `    image=${imageArg},`);
  for (const [name, value] of Object.entries(params)) {
    lines.push(`    ${name}=${pyValue(value)},`);
  }
  lines.push(
    ')',
    'result = job.wait()',
    'for mask in result["output"]["masks"]:',
    '    print(mask["index"], mask["score"], mask["box"], mask["area"])',
  );
  return lines.join('\n');
}

function csharp(origin: string, image: ImageSource, params: Params): string {
  const calls: string[] = [];
  const str = (v: unknown) => JSON.stringify(String(v));
  const parsed = (v: unknown) => JSON.parse(String(v)) as number[][] | number[];
  for (const [name, value] of Object.entries(params)) {
    switch (name) {
      case 'text_prompt': calls.push(`.WithTextPrompt(${str(value)})`); break;
      case 'text_prompts': calls.push(`.WithTextPrompts(${(value as string[]).map((v) => JSON.stringify(v)).join(', ')})`); break;
      case 'points_input': {
        const points = parsed(value) as number[][];
        const labels = params.point_labels_input ? (parsed(params.point_labels_input) as number[]) : points.map(() => 1);
        points.forEach(([x, y], i) => calls.push(`.WithPoint(${x}, ${y}${labels[i] === 0 ? ', Sam3PointLabel.Background' : ''})`));
        break;
      }
      case 'point_labels_input': break;
      case 'boxes_input': {
        const labels = params.box_labels_input ? (parsed(params.box_labels_input) as number[]) : [];
        (parsed(value) as number[][]).forEach((b, i) => calls.push(`.WithBox(${b.join(', ')}${labels[i] === 0 ? ', Sam3BoxLabel.Negative' : ''})`));
        break;
      }
      case 'box_labels_input': break;
      case 'box_mode': calls.push(`.WithBoxMode(Sam3BoxMode.${value === 'object' ? 'Object' : 'Exemplar'})`); break;
      case 'threshold': calls.push(`.WithThreshold(${String(value)})`); break;
      case 'points_per_side': calls.push(`.WithPointsPerSide(${value})`); break;
      case 'pred_iou_thresh': calls.push(`.WithPredIouThresh(${String(value)})`); break;
      case 'max_masks': calls.push(`.WithMaxMasks(${value})`); break;
      case 'return_overlay': calls.push('.WithOverlay()'); break;
      case 'return_masks': calls.push(`.WithMasks(Sam3MaskFormat.${params.mask_format === 'rle' ? 'Rle' : 'Png'})`); break;
      case 'mask_format': break;
      case 'image_id': calls.push(`.WithImageId(${str(value)})`); break;
      case 'tiles': {
        const grid = value === 'auto' ? null : (JSON.parse(String(value)) as { rows: number; cols: number });
        calls.push(`.WithTiles(${grid ? `Sam3Tiles.Grid(${grid.rows}, ${grid.cols})` : 'Sam3Tiles.Auto'})`);
        break;
      }
      default: calls.push(`/* ${name} = ${JSON.stringify(value)} */`);
    }
  }
  const source = image.kind === 'file' ? `Sam3Request.FromFile(${JSON.stringify(image.name)})` : `Sam3Request.FromUrl(${JSON.stringify(image.url)})`;
  return [
    '// Sam3Serve.Client: a project reference, or the package from dotnet pack src/Sam3Serve.Client',
    'using Sam3Serve.Client;',
    '',
    `using var client = new Sam3Client(Environment.GetEnvironmentVariable("SAM3SERVE_API_KEY")!, new Uri(${JSON.stringify(origin)}));`,
    `var request = ${source}`,
    ...calls.map((c, i) => `    ${c}${i === calls.length - 1 ? ';' : ''}`),
    'var result = await client.RunAsync(request);',
    'foreach (var mask in result.Output!.Masks)',
    '{',
    '    var b = mask.Box;',
    '    Console.WriteLine($"#{mask.Index} score {mask.Score:F3} box [{b.X1:F0}, {b.Y1:F0}, {b.X2:F0}, {b.Y2:F0}] area {mask.Area}");',
    '}',
  ].join('\n');
}
