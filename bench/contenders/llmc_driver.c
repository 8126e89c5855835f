// The llm.c contender's driver: bench/contenders/llmc.ts compiles it with a checkout of llm.c on
// the include path (gcc -Ofast -march=native, no OpenMP: one thread), outside this repository.
// train_gpt2.c is included with TESTING defined, which leaves out its own main(); this main builds
// the GPT2 struct with gpt.nn's sizes (4 layers, 4 heads, 64 channels, context 16, vocabulary 27,
// unpadded) from nnc's initial weights, and trains with llm.c's own forward, backward and AdamW
// update (lr 0.001, betas 0.9 and 0.999, eps 1e-8, no weight decay) on the bench's batches,
// timed as bench/common.ts's timeFor times the other contenders. It prints `RESULT {json}`.
//
// usage: llmc_gpt PARAMS.f32 TOKENS.i32 BATCHES B T SANITY_STEPS SECONDS REPS
#define TESTING
#include "train_gpt2.c"

static double seconds_of(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static GPT2 model;
static int *tokens;
static int batches, B, T, step_no;

static float step(void) {
    int k = step_no % batches;
    int *in = tokens + (size_t)2 * k * B * T;
    gpt2_forward(&model, in, in + (size_t)B * T, B, T);
    float loss = model.mean_loss;
    gpt2_zero_grad(&model);
    gpt2_backward(&model);
    step_no++;
    gpt2_update(&model, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, step_no);
    return loss;
}

static void read_all(const char *path, void *into, size_t bytes) {
    FILE *f = fopenCheck(path, "rb");
    freadCheck(into, 1, bytes, f);
    fcloseCheck(f);
}

int main(int argc, char **argv) {
    if (argc != 9) {
        fprintf(stderr, "usage: llmc_gpt PARAMS TOKENS BATCHES B T SANITY_STEPS SECONDS REPS\n");
        return 1;
    }
    batches = atoi(argv[3]);
    B = atoi(argv[4]);
    T = atoi(argv[5]);
    int sanity = atoi(argv[6]);
    double seconds = atof(argv[7]);
    int reps = atoi(argv[8]);
    GPT2Config config = {T, 27, 27, 4, 4, 64};
    model.config = config;
    fill_in_parameter_sizes(model.param_sizes, config);
    model.num_parameters = 0;
    for (int i = 0; i < NUM_PARAMETER_TENSORS; i++) model.num_parameters += model.param_sizes[i];
    model.params_memory = malloc_and_point_parameters(&model.params, model.param_sizes);
    read_all(argv[1], model.params_memory, model.num_parameters * sizeof(float));
    // as gpt2_build_from_checkpoint leaves the rest: allocated at the first step
    model.acts_memory = NULL;
    model.grads_memory = NULL;
    model.m_memory = NULL;
    model.v_memory = NULL;
    model.grads_acts_memory = NULL;
    model.inputs = NULL;
    model.targets = NULL;
    model.batch_size = 0;
    model.seq_len = 0;
    model.mean_loss = -1.0f;
    tokens = (int *)mallocCheck((size_t)2 * batches * B * T * sizeof(int));
    read_all(argv[2], tokens, (size_t)2 * batches * B * T * sizeof(int));

    // (llm.c prints its sizes at the first step: the result line comes last, on a line of its own)
    float losses[64];
    for (int i = 0; i < sanity && i < 64; i++) losses[i] = step();
    // warm-up: 5 steps and half a second at least; a probe; then reps of about `seconds` each
    double t0 = seconds_of(CLOCK_MONOTONIC);
    for (int i = 0; i < 5 || seconds_of(CLOCK_MONOTONIC) - t0 < 0.5; i++) step();
    double p0 = seconds_of(CLOCK_PROCESS_CPUTIME_ID);
    for (int i = 0; i < 3; i++) step();
    double probe = (seconds_of(CLOCK_PROCESS_CPUTIME_ID) - p0) / 3;
    int calls = (int)(seconds / (probe > 1e-7 ? probe : 1e-7) + 0.5);
    if (calls < 3) calls = 3;
    for (int i = 0; i < (calls / 2 > 5 ? calls / 2 : 5); i++) step();
    double cpu[64], wall[64];
    for (int r = 0; r < reps && r < 64; r++) {
        double w0 = seconds_of(CLOCK_MONOTONIC), c0 = seconds_of(CLOCK_PROCESS_CPUTIME_ID);
        for (int i = 0; i < calls; i++) step();
        cpu[r] = (seconds_of(CLOCK_PROCESS_CPUTIME_ID) - c0) / calls;
        wall[r] = (seconds_of(CLOCK_MONOTONIC) - w0) / calls;
    }
    printf("\nRESULT {\"contender\": \"llmc\", \"params\": %zu, \"losses\": [", model.num_parameters);
    for (int i = 0; i < sanity && i < 64; i++) printf("%s%.7f", i ? ", " : "", losses[i]);
    printf("], \"cpu\": [");
    for (int r = 0; r < reps && r < 64; r++) printf("%s%.9f", r ? ", " : "", cpu[r]);
    printf("], \"wall\": [");
    for (int r = 0; r < reps && r < 64; r++) printf("%s%.9f", r ? ", " : "", wall[r]);
    printf("]}\n");
    gpt2_free(&model);
    free(tokens);
    return 0;
}
