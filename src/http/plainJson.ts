// Answers of tens of thousands of entries that our own code builds field by field to their
// schema's shape (a group prognosis or train at Kuberpult scale: 30,000 app prognoses, 1.3 MB):
// written with JSON.stringify alone. The zod pass every other answer gets (validate, then encode)
// took about 40% of such a prognosis; tests parse these answers with their schemas instead.

/** A route's serializer compiler that writes JSON without a schema pass. */
export function plainJsonSerializer(): (data: unknown) => string {
  return (data) => JSON.stringify(data);
}
