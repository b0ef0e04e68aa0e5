variable "release" {
  description = "The platform release every region runs (machine images <image_name>-<release>-arm64). Changing it rolls every region's edges and cores out."
  type        = string
}

variable "domain_name" {
  description = "The shoppers' host name (the latency-routed record)."
  type        = string
}

variable "zone_id" {
  description = "The Route 53 hosted zone of domain_name."
  type        = string
}
