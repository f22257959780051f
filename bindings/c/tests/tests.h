/* The test groups of the C test runner (main.c). */
#ifndef OBJSTORE_TESTS_H
#define OBJSTORE_TESTS_H

#include "objstore.h"

extern objstore_store *S;   /* the store run_store_tests works on */
extern int store_is_local;

void run_config_tests(void);
void run_store_tests(void);
void run_arrow_tests(void); /* on S, after run_store_tests */
void run_misuse_tests(void);
void run_async_tests(void);
void run_cloud_tests(void);
void run_lifecycle_tests(void);
void run_credentials_tests(void);
void run_compose_tests(void);
objstore_store *open_wrapped_memory(void);

#endif
