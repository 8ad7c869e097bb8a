/* cli_import.c — `deepc import-gpt2 CHECKPOINT --description DESC --out
 * MODEL`: a GPT-2 checkpoint in Hugging Face's layout becomes a deepc model
 * file: the description's network (models/gpt2.dc for the 124 M model)
 * with the checkpoint's weights, and the description's BPE files inside,
 * so that `deepc generate MODEL` needs nothing else. */
#include "cli_generate.h"
#include "cli_outputs.h"
#include "cli_util.h"

int cli_import_gpt2(const cli_args *a) {
    if (!a->target || !a->description || !a->out) {
        dc_set_error_cli("import-gpt2 needs a CHECKPOINT, --description DESC.dc and --out MODEL.safetensors");
        return cli_fail("cannot import");
    }
    if (cli_check_output("--out", a->out, CLI_OUT_MODEL, a->force, NULL)) return 1;
    dc_model *m = dc_model_parse_file(a->description);
    if (!m) return cli_fail("cannot read the description");
    int rc = 0;
    const dc_text_spec *sp = dc_model_text(m);
    dc_bpe *b = NULL;
    if (!sp || !sp->bpe) {
        dc_set_error_cli("%s: a GPT-2 description has a text line with level=bpe (models/gpt2.dc)", a->description);
        rc = cli_fail("cannot import");
    } else if (!(b = dc_bpe_load(sp->vocab, sp->merges)) || dc_model_set_bpe(m, b)) {
        rc = cli_fail("cannot read the BPE files of the text line");
    } else if (dc_model_load_gpt2(m, a->target, a->quiet || a->json ? NULL : stdout)) {
        rc = cli_fail("cannot import the checkpoint");
    } else if (dc_model_save(m, a->out)) {
        rc = cli_fail("cannot save the model");
    } else if (a->json) { /* the last line one JSON object naming its command (F17) */
        printf("{\"command\":\"import-gpt2\",\"model\":");
        cli_json_string(stdout, a->out);
        printf(",\"parameters\":%lld}\n", (long long)dc_model_num_params(m));
    } else if (!a->quiet) {
        printf("Saved %s (%lld parameters)\n", a->out, (long long)dc_model_num_params(m));
    }
    dc_bpe_free(b);
    dc_model_free(m);
    return rc;
}

int cli_import_onnx(const cli_args *a) {
    if (!a->target || !a->out) {
        dc_set_error_cli("import-onnx needs a MODEL.onnx and --out MODEL.safetensors");
        return cli_fail("cannot import");
    }
    if (cli_check_output("--out", a->out, CLI_OUT_MODEL, a->force, NULL)) return 1;
    dc_model *m = dc_model_import_onnx(a->target);
    if (!m) return cli_fail("cannot import");
    int rc = 0;
    if (dc_model_save(m, a->out)) {
        rc = cli_fail("cannot save the model");
    } else if (a->json) {
        printf("{\"command\":\"import-onnx\",\"model\":");
        cli_json_string(stdout, a->out);
        printf(",\"parameters\":%lld,\"description\":", (long long)dc_model_num_params(m));
        cli_json_string(stdout, dc_model_description(m));
        printf("}\n");
    } else if (!a->quiet) {
        printf("%s", dc_model_description(m));
        printf("Saved %s (%lld parameters)\n", a->out, (long long)dc_model_num_params(m));
    }
    dc_model_free(m);
    return rc;
}
